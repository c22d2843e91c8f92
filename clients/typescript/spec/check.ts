// Compared under tsc with the types spec/generate.mjs generates from
// api/asyncapi.yaml: every field the document has, the SDK has with the same
// type and the same optionality. The SDK may have more fields only as
// optional ones (protocol v1.1 additions the document may not list yet).
import type { components } from "./generated/asyncapi.js";
import type * as P from "../src/protocol.js";

type S = components["schemas"];
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<Spec, Sdk> = [Exclude<keyof Spec, keyof Sdk>] extends [never]
  ? Mutual<RequiredKeys<Spec>, RequiredKeys<Sdk>> extends true
    ? Mutual<Required<Spec>, Required<Pick<Sdk, keyof Spec & keyof Sdk>>>
    : false
  : false;
type Assert<T extends true> = T;

export type Checks = [
  Assert<Mutual<S["ChannelType"], P.ChannelType>>,
  Assert<Mutual<S["PresenceStatus"], P.PresenceStatus>>,
  Assert<Mutual<S["ErrorCode"], P.ErrorCode>>,
  Assert<Same<S["CreateChannel"], P.CreateChannel>>,
  Assert<Same<S["SendMessage"], P.SendMessage>>,
  Assert<Same<S["GetMessages"], P.GetMessages>>,
  Assert<Same<S["GetChannel"], P.GetChannel>>,
  Assert<Same<S["GetUsers"], P.GetUsers>>,
  Assert<Same<S["JoinChannel"], P.JoinChannel>>,
  Assert<Same<S["LeaveChannel"], P.LeaveChannel>>,
  Assert<Same<S["Heartbeat"], P.Heartbeat>>,
  Assert<Same<S["GetPresence"], P.GetPresence>>,
  Assert<Same<S["Ready"], P.Ready>>,
  Assert<Same<S["ReadyChannel"], P.ReadyChannel>>,
  Assert<Same<S["ChannelCreated"], P.ChannelCreated>>,
  Assert<Same<S["MessageSent"], P.MessageSent>>,
  Assert<Same<S["Message"], P.Message>>,
  Assert<Same<S["Messages"], P.Messages>>,
  Assert<Same<S["Channel"], P.Channel>>,
  Assert<Same<S["Users"], P.Users>>,
  Assert<Same<S["User"], P.User>>,
  Assert<Same<S["ChannelJoined"], P.ChannelJoined>>,
  Assert<Same<S["ChannelLeft"], P.ChannelLeft>>,
  Assert<Same<S["MemberChange"], P.MemberChange>>,
  Assert<Same<S["HeartbeatAck"], P.HeartbeatAck>>,
  Assert<Same<S["Presence"], P.Presence>>,
  Assert<Same<S["UserPresence"], P.UserPresence>>,
  Assert<Same<S["Error"], P.ErrorPayload>>,
  Assert<Same<S["MarkRead"], P.MarkRead>>,
  Assert<Same<S["Typing"], P.Typing>>,
  Assert<Same<S["ReadPosition"], P.ReadState>>,
  Assert<Same<S["ReadMarked"], P.ReadMarked>>,
  Assert<Same<S["ReadUpdated"], P.ReadUpdated>>,
  Assert<Same<S["TypingEvent"], P.TypingEvent>>,
];
