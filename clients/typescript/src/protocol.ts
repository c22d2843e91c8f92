// Wire types of the chatd WebSocket API (docs/protocol.md, api/asyncapi.yaml).
// spec/check.ts compares every one of them with the types generated from
// api/asyncapi.yaml in make test, so a drift between the two fails the build.
// Fields of protocol v1.1 that the document may not list yet are optional.

export type ChannelType = "direct" | "group";
export type PresenceStatus = "online" | "offline";
export type ErrorCode =
  | "bad_request"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "channel_full"
  | "rate_limited"
  | "unavailable"
  | "conflict"
  | "internal";

// Commands: what the client sends.
export interface CreateChannel {
  channelType: ChannelType;
  name?: string;
  memberIds?: string[];
}
export interface SendMessage {
  channelId: string;
  body: string;
  clientMessageId: string;
}
export interface GetMessages {
  channelId: string;
  afterSeq?: number;
  beforeSeq?: number;
  limit?: number;
}
export interface GetChannel {
  channelId: string;
}
export interface GetUsers {
  userIds: string[];
}
export interface JoinChannel {
  channelId: string;
}
export interface LeaveChannel {
  channelId: string;
}
export interface Heartbeat {
  userId?: string;
  status: PresenceStatus;
}
export interface GetPresence {
  userIds: string[];
}
// v1.1
export interface MarkRead {
  channelId: string;
  seq: number;
}
export interface Typing {
  channelId: string;
}

// Replies and events: what the server sends.
export interface ReadyChannel {
  channelId: string;
  channelType: ChannelType;
  lastSeq: number;
  lastReadSeq: number; // v1.1
  unreadCount: number; // v1.1
}
export interface Ready {
  userId: string;
  sessionId: string;
  nodeId: string;
  heartbeatIntervalMs: number;
  presenceTimeoutMs: number;
  channels: ReadyChannel[];
  protocolVersion: "1.1";
}
export interface ChannelCreated {
  channelId: string;
  channelType: ChannelType;
  name?: string;
  memberIds: string[];
  createdAt: string;
}
export interface Message {
  channelId: string;
  messageId: string;
  senderId: string;
  body: string;
  createdAt: string;
  seq: number;
}
export interface MessageSent extends Message {
  clientMessageId: string;
}
export interface Messages {
  channelId: string;
  messages: Message[];
  hasMore: boolean;
}
export interface ReadState {
  userId: string;
  lastReadSeq: number;
}
export interface Channel {
  channelId: string;
  channelType: ChannelType;
  name?: string;
  memberIds: string[];
  lastSeq: number;
  createdAt: string;
  lastReadSeq: number; // v1.1
  unreadCount: number; // v1.1
  readState: ReadState[]; // v1.1
}
export interface User {
  userId: string;
  name: string;
}
export interface Users {
  users: User[];
}
export interface ChannelJoined {
  channelId: string;
  lastSeq: number;
}
export interface ChannelLeft {
  channelId: string;
}
export interface MemberChange {
  channelId: string;
  userId: string;
}
export interface HeartbeatAck {
  serverTime: string;
}
export interface UserPresence {
  userId: string;
  status: PresenceStatus;
  lastEventAt: string | null;
}
export interface Presence {
  users: UserPresence[];
}
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  command?: string;
  retryAfterMs?: number; // v1.1, with unavailable and rate_limited
}
// v1.1
export interface ReadMarked {
  channelId: string;
  lastReadSeq: number;
}
export interface ReadUpdated {
  channelId: string;
  userId: string;
  lastReadSeq: number;
}
export interface TypingEvent {
  channelId: string;
  userId: string;
}

// Commands by frame type, with the type of their direct reply.
export interface Commands {
  create_channel: { payload: CreateChannel; reply: "channel_created" };
  send_message: { payload: SendMessage; reply: "message_sent" };
  get_messages: { payload: GetMessages; reply: "messages" };
  get_channel: { payload: GetChannel; reply: "channel" };
  get_users: { payload: GetUsers; reply: "users" };
  join_channel: { payload: JoinChannel; reply: "channel_joined" };
  leave_channel: { payload: LeaveChannel; reply: "channel_left" };
  heartbeat: { payload: Heartbeat; reply: "heartbeat_ack" };
  get_presence: { payload: GetPresence; reply: "presence" };
  mark_read: { payload: MarkRead; reply: "read_marked" };
  typing: { payload: Typing; reply: never };
}
export type CommandType = keyof Commands;

// Everything the server sends, by frame type.
export interface ServerFrames {
  ready: Ready;
  channel_created: ChannelCreated;
  message_sent: MessageSent;
  message_received: Message;
  messages: Messages;
  channel: Channel;
  users: Users;
  channel_joined: ChannelJoined;
  channel_left: ChannelLeft;
  member_joined: MemberChange;
  member_left: MemberChange;
  heartbeat_ack: HeartbeatAck;
  presence: Presence;
  presence_updated: UserPresence;
  error: ErrorPayload;
  read_marked: ReadMarked;
  read_updated: ReadUpdated;
  typing: TypingEvent;
}
export type ServerFrameType = keyof ServerFrames;

export type ReplyOf<C extends CommandType> = ServerFrames[Commands[C]["reply"]];

export interface Frame {
  type: string;
  requestId?: string;
  payload?: unknown;
}

// Every frame type of the protocol, for the drift check against the spec.
export const COMMAND_TYPES: readonly CommandType[] = [
  "create_channel",
  "send_message",
  "get_messages",
  "get_channel",
  "get_users",
  "join_channel",
  "leave_channel",
  "heartbeat",
  "get_presence",
  "mark_read",
  "typing",
];
export const SERVER_FRAME_TYPES: readonly ServerFrameType[] = [
  "ready",
  "channel_created",
  "message_sent",
  "message_received",
  "messages",
  "channel",
  "users",
  "channel_joined",
  "channel_left",
  "member_joined",
  "member_left",
  "heartbeat_ack",
  "presence",
  "presence_updated",
  "error",
  "read_marked",
  "read_updated",
  "typing",
];

export type CloseAction = "stop" | "reconnect";

// CLOSE_CODES is the close-code table of api/asyncapi.yaml (x-close-codes);
// spec/generate.mjs fails make test when the two differ. A code not listed
// (1006 included) means reconnect with backoff.
export const CLOSE_CODES: Readonly<Record<number, { name: string; action: CloseAction }>> = {
  1000: { name: "normal", action: "stop" },
  1002: { name: "protocol error", action: "stop" },
  1007: { name: "invalid payload", action: "stop" },
  1009: { name: "message too big", action: "stop" },
  1011: { name: "internal error", action: "reconnect" },
  1012: { name: "service restart", action: "reconnect" },
  4001: { name: "unauthorized", action: "stop" },
  4008: { name: "slow consumer", action: "reconnect" },
  4009: { name: "session timeout", action: "reconnect" },
  4010: { name: "wrong node", action: "reconnect" },
};
