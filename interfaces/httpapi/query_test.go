package httpapi

import (
	"net/http/httptest"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestReadQuery(t *testing.T) {
	for target, want := range map[string]domain.Kind{
		"/x":                   -1,
		"/x?limit=5&cursor=ab": -1,
		"/x?limit=5&limit=6":   domain.KindBadRequest,
		"/x?Limit=5":           domain.KindBadRequest,
		"/x?other":             domain.KindBadRequest,
	} {
		_, err := readQuery(httptest.NewRequest("GET", target, nil), "limit", "cursor")
		if (want == -1) != (err == nil) || (err != nil && domain.KindOf(err) != want) {
			t.Errorf("%s: %v", target, err)
		}
	}
	if _, err := readQuery(httptest.NewRequest("GET", "/x?a=1", nil)); domain.KindOf(err) != domain.KindBadRequest {
		t.Errorf("a parameter where none is taken: %v", err)
	}
}

func TestQueryIntegers(t *testing.T) {
	q := query{"n": "42", "neg": "-1", "huge": "99999999999999", "frac": "1.5", "word": "ten", "exp": "1e3"}
	if n, err := q.int("n"); err != nil || *n != 42 {
		t.Fatalf("n: %v %v", n, err)
	}
	if n, err := q.int("neg"); err != nil || *n != -1 {
		t.Fatalf("neg: %v %v", n, err)
	}
	// Clamped, so the use case still sees a value out of its range.
	if n, err := q.int("huge"); err != nil || *n <= 100 {
		t.Fatalf("huge: %v %v", n, err)
	}
	if n, err := q.int64("absent"); n != nil || err != nil {
		t.Fatalf("absent: %v %v", n, err)
	}
	for _, name := range []string{"frac", "word", "exp"} {
		if _, err := q.int64(name); domain.KindOf(err) != domain.KindBadRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
}
