package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// sourcePlan spreads connections over local source addresses. One source
// address can reach one server address and port from about 28,000
// ephemeral ports (32768-60999 here), and closed connections hold theirs in
// TIME_WAIT for a minute, so a benchmark that opens tens of thousands of
// connections (and reconnects them) would run out; Linux routes all of
// 127.0.0.0/8 to the loopback interface, so 127.0.1.10, 127.0.1.11, ...
// each bring a fresh port range. Every `every` connections move to the
// next address.
type sourcePlan struct {
	base  netip.Addr // zero: let the kernel choose (no rotation)
	every int
}

// newSourcePlan parses the first address; an empty base turns rotation off
// (for a server that is not on this machine's loopback).
func newSourcePlan(base string, every int) (sourcePlan, error) {
	if base == "" {
		return sourcePlan{}, nil
	}
	addr, err := netip.ParseAddr(base)
	if err != nil || !addr.Is4() {
		return sourcePlan{}, fmt.Errorf("-source-base %q is not an IPv4 address", base)
	}
	if every < 1 {
		return sourcePlan{}, fmt.Errorf("-source-every must be at least 1, got %d", every)
	}
	return sourcePlan{base: addr, every: every}, nil
}

// addrFor returns the source address of connection number index (counted
// over the whole run, all processes together), or the zero Addr when
// rotation is off.
func (p sourcePlan) addrFor(index int) netip.Addr {
	if !p.base.IsValid() {
		return netip.Addr{}
	}
	b := p.base.As4()
	n := binary.BigEndian.Uint32(b[:]) + uint32(index/p.every)
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// clientPool keeps one http.Client per source address for the WebSocket
// handshakes: the Transport's dialer binds the address, and
// websocket.Dial takes the client as DialOptions.HTTPClient.
type clientPool struct {
	plan sourcePlan

	mu      sync.Mutex
	clients map[netip.Addr]*http.Client
}

func newClientPool(plan sourcePlan) *clientPool {
	return &clientPool{plan: plan, clients: make(map[netip.Addr]*http.Client)}
}

// forConn returns the client that dials from connection index's address.
func (p *clientPool) forConn(index int) *http.Client {
	addr := p.plan.addrFor(index)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		return c
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1}
	if addr.IsValid() {
		dialer.LocalAddr = &net.TCPAddr{IP: addr.AsSlice()}
	}
	c := &http.Client{Transport: &http.Transport{
		DialContext:         dialCorked(dialer.DialContext),
		DisableCompression:  true,
		TLSHandshakeTimeout: 10 * time.Second,
		// Upgraded connections leave the pool; nothing idles here.
		MaxIdleConnsPerHost: -1,
	}}
	p.clients[addr] = c
	return c
}
