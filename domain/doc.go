// Package domain holds the entities of the chat product and the rules that
// hold for them wherever they are stored or sent: who may be in a channel,
// what a message body may contain, how presence is expressed.
//
// It imports nothing but the standard library, so every other layer can
// depend on it and it can depend on none of them.
package domain
