package protocol_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/interfaces/protocol"
)

func TestAsyncAPIErrorCodes(t *testing.T) {
	doc := loadAsyncAPI(t)
	var inCode []string
	for _, v := range protocolConsts(t, "Code") {
		inCode = append(inCode, v)
	}
	slices.Sort(inCode)
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

func TestAsyncAPICloseCodes(t *testing.T) {
	doc := loadAsyncAPI(t)
	type closeCode struct {
		Code   int
		Action string
	}
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
	var inDoc []closeCode
	for _, c := range doc.root["x-close-codes"].([]any) {
		c := c.(map[string]any)
		inDoc = append(inDoc, closeCode{int(c["code"].(float64)), c["action"].(string)})
	}
	byCode := func(a, b closeCode) int { return a.Code - b.Code }
	slices.SortFunc(inCode, byCode)
	slices.SortFunc(inDoc, byCode)
	if diff := cmp.Diff(inCode, inDoc); diff != "" {
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
