package admin

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/chatd/chat/domain"
)

// The listings a cursor may belong to. A cursor names its listing so that
// one passed to the wrong endpoint is refused instead of silently read as
// a position in another order.
const (
	listUsers    = "users"
	listChannels = "channels"
)

// cursorJSON is what an opaque cursor holds. Times keep microseconds, the
// database's precision, so the next page starts exactly after the last row.
type cursorJSON struct {
	List   string `json:"l"`
	Micros int64  `json:"t"`
	ID     string `json:"i"`
}

// encodeCursor turns the last row of a page into the cursor of the next.
// Callers must not parse it: the encoding may change between versions.
func encodeCursor(list string, k Key) string {
	data, err := json.Marshal(cursorJSON{List: list, Micros: k.CreatedAt.UnixMicro(), ID: k.ID})
	if err != nil {
		panic("encode cursor: " + err.Error()) // a struct of strings and ints always encodes
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeCursor reads a cursor of list; "" is the start of the listing.
func decodeCursor(list, cursor string) (*Key, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := domain.Errorf(domain.KindBadRequest, "cursor is not valid for this listing; pass the nextCursor of the previous page unchanged")
	data, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(data, &c); err != nil || c.List != list || c.ID == "" {
		return nil, bad
	}
	return &Key{CreatedAt: time.UnixMicro(c.Micros).UTC(), ID: c.ID}, nil
}
