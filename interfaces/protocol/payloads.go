package protocol

import "encoding/json"

// One decoder per command: the field list is the schema of its payload.
// Required fields are those docs/protocol.md does not mark optional.

func decodeCreateChannel(raw json.RawMessage) (any, error) {
	var p CreateChannel
	err := decodeFields(raw,
		stringField("channelType", true, &p.ChannelType),
		stringField("name", false, &p.Name),
		stringsField("memberIds", false, &p.MemberIDs),
	)
	return p, err
}

func decodeSendMessage(raw json.RawMessage) (any, error) {
	var p SendMessage
	err := decodeFields(raw,
		stringField("channelId", true, &p.ChannelID),
		stringField("body", true, &p.Body),
		stringField("clientMessageId", true, &p.ClientMessageID),
	)
	return p, err
}

func decodeGetMessages(raw json.RawMessage) (any, error) {
	var p GetMessages
	err := decodeFields(raw,
		stringField("channelId", true, &p.ChannelID),
		int64Field("afterSeq", false, &p.AfterSeq),
		int64Field("beforeSeq", false, &p.BeforeSeq),
		intField("limit", false, &p.Limit),
	)
	return p, err
}

func decodeGetChannel(raw json.RawMessage) (any, error) {
	var p GetChannel
	err := decodeFields(raw, stringField("channelId", true, &p.ChannelID))
	return p, err
}

func decodeGetUsers(raw json.RawMessage) (any, error) {
	var p GetUsers
	err := decodeFields(raw, stringsField("userIds", true, &p.UserIDs))
	return p, err
}

func decodeJoinChannel(raw json.RawMessage) (any, error) {
	var p JoinChannel
	err := decodeFields(raw, stringField("channelId", true, &p.ChannelID))
	return p, err
}

func decodeLeaveChannel(raw json.RawMessage) (any, error) {
	var p LeaveChannel
	err := decodeFields(raw, stringField("channelId", true, &p.ChannelID))
	return p, err
}

func decodeHeartbeat(raw json.RawMessage) (any, error) {
	var p Heartbeat
	err := decodeFields(raw,
		stringField("userId", false, &p.UserID),
		stringField("status", true, &p.Status),
	)
	return p, err
}

func decodeGetPresence(raw json.RawMessage) (any, error) {
	var p GetPresence
	err := decodeFields(raw, stringsField("userIds", true, &p.UserIDs))
	return p, err
}
