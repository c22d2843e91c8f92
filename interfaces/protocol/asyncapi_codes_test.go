package protocol_test

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/interfaces/protocol"
)

func TestAsyncAPIErrorCodes(t *testing.T) {
	doc := loadAsyncAPI(t)
	inCode := slices.Sorted(maps.Values(protocolConsts(t, "Code")))
	inDoc := strs(doc.get(doc.root, "components", "schemas", "ErrorCode")["enum"])
	if diff := cmp.Diff(inCode, inDoc); diff != "" {
		t.Fatalf("error codes in interfaces/protocol (-) and asyncapi.yaml ErrorCode (+):\n%s", diff)
	}
	// The REST error body lists the same codes (swag enums on ErrorBody).
	openapi := loadOpenAPI(t)
	restCodes := strs(openapi.get(openapi.root, "components", "schemas", "ErrorBody", "properties", "code")["enum"])
	if diff := cmp.Diff(inCode, restCodes); diff != "" {
		t.Fatalf("error codes in interfaces/protocol (-) and openapi.yaml ErrorBody.code (+):\n%s", diff)
	}
}

// closeCode is a close code with the action a client takes on it
// ("reconnect" or "stop").
type closeCode struct {
	Code   int
	Action string
}

// closeCodes returns the document's x-close-codes, sorted by code.
func (d asyncDoc) closeCodes() []closeCode {
	var out []closeCode
	for _, c := range d.root["x-close-codes"].([]any) {
		c := c.(map[string]any)
		out = append(out, closeCode{int(c["code"].(float64)), c["action"].(string)})
	}
	sortByCode(out)
	return out
}

func sortByCode(codes []closeCode) {
	slices.SortFunc(codes, func(a, b closeCode) int { return a.Code - b.Code })
}

func TestAsyncAPICloseCodes(t *testing.T) {
	doc := loadAsyncAPI(t)
	var inCode []closeCode
	for name, v := range protocolConsts(t, "Close") {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("protocol.%s = %s", name, v)
		}
		action := "stop"
		if protocol.CloseCode(n).Reconnect() {
			action = "reconnect"
		}
		inCode = append(inCode, closeCode{n, action})
	}
	sortByCode(inCode)
	if diff := cmp.Diff(inCode, doc.closeCodes()); diff != "" {
		t.Fatalf("close codes in interfaces/protocol (-) and asyncapi.yaml x-close-codes (+):\n%s", diff)
	}
}

func TestAsyncAPILimits(t *testing.T) {
	doc := loadAsyncAPI(t)
	if got := doc.root["x-max-frame-bytes"]; got != float64(protocol.MaxFrameBytes) {
		t.Errorf("x-max-frame-bytes = %v, want %d", got, protocol.MaxFrameBytes)
	}
	if got := doc.get(doc.root, "components", "schemas", "RequestId")["maxLength"]; got != float64(protocol.MaxRequestIDLength) {
		t.Errorf("RequestId maxLength = %v, want %d", got, protocol.MaxRequestIDLength)
	}
}
