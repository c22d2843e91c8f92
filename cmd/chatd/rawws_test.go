package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rawWS is a WebSocket client written by hand over TCP, so a test can send
// what a library never would: unmasked frames, bytes that are not UTF-8,
// half a frame.
type rawWS struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// dialRawWS opens /ws with the token, checks the 101 and reads ready.
func (s *testServer) dialRawWS(t testing.TB, token string) *rawWS {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", s.addr, token)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	r := &rawWS{t: t, conn: conn, br: br}
	if op, payload := r.readFrame(); op != 0x1 || !strings.Contains(string(payload), `"type":"ready"`) {
		t.Fatalf("first frame: opcode %x %q, want ready", op, payload)
	}
	return r
}

// frameHeader is the header of a final client frame of opcode announcing
// length bytes, masked with key unless key is nil.
func frameHeader(opcode byte, length uint64, key []byte) []byte {
	h := []byte{0x80 | opcode, 0}
	switch {
	case length < 126:
		h[1] = byte(length)
	case length <= 0xffff:
		h[1] = 126
		h = binary.BigEndian.AppendUint16(h, uint16(length))
	default:
		h[1] = 127
		h = binary.BigEndian.AppendUint64(h, length)
	}
	if key != nil {
		h[1] |= 0x80
		h = append(h, key...)
	}
	return h
}

var maskKey = []byte{0x37, 0xfa, 0x21, 0x3d}

// maskedText is a whole, masked client text frame (what browsers send).
func maskedText(payload []byte) []byte {
	frame := frameHeader(0x1, uint64(len(payload)), maskKey)
	for i, b := range payload {
		frame = append(frame, b^maskKey[i%4])
	}
	return frame
}

func (r *rawWS) write(b []byte) {
	r.t.Helper()
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one server frame (servers do not mask).
func (r *rawWS) readFrame() (opcode byte, payload []byte) {
	r.t.Helper()
	op, payload, err := r.tryReadFrame()
	if err != nil {
		r.t.Fatalf("read frame: %v", err)
	}
	return op, payload
}

func (r *rawWS) tryReadFrame() (opcode byte, payload []byte, err error) {
	if err := r.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		return 0, nil, err
	}
	var head [2]byte
	if _, err := io.ReadFull(r.br, head[:]); err != nil {
		return 0, nil, err
	}
	length := uint64(head[1] & 0x7f)
	switch length {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r.br, ext[:]); err != nil {
			return 0, nil, err
		}
		length = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r.br, ext[:]); err != nil {
			return 0, nil, err
		}
		length = binary.BigEndian.Uint64(ext[:])
	}
	payload = make([]byte, length)
	if _, err := io.ReadFull(r.br, payload); err != nil {
		return 0, nil, err
	}
	return head[0] & 0x0f, payload, nil
}

// awaitClose reads until the server's close frame, within waitTimeout,
// and returns its code and reason.
func (r *rawWS) awaitClose() (websocket.StatusCode, string) {
	r.t.Helper()
	for {
		op, payload := r.readFrame()
		if op != 0x8 {
			continue
		}
		if len(payload) < 2 {
			r.t.Fatalf("close frame without a code: % x", payload)
		}
		return websocket.StatusCode(binary.BigEndian.Uint16(payload)), string(payload[2:])
	}
}

// request sends a command and returns the reply's type and payload.
func (r *rawWS) request(typ, requestID string, payload any) (string, json.RawMessage) {
	r.t.Helper()
	data, err := json.Marshal(map[string]any{"type": typ, "requestId": requestID, "payload": payload})
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(maskedText(data))
	for {
		op, frame := r.readFrame()
		if op != 0x1 {
			r.t.Fatalf("got opcode %x %q while waiting for the reply to %s", op, frame, requestID)
		}
		var f struct {
			Type      string          `json:"type"`
			RequestID string          `json:"requestId"`
			Payload   json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(frame, &f); err != nil {
			r.t.Fatalf("server sent %q: %v", frame, err)
		}
		if f.RequestID == requestID {
			return f.Type, f.Payload
		}
	}
}
