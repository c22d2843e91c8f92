package cluster

import (
	"testing"
	"time"
)

func TestHandoverKeepsReplacedViewsForTheirWindow(t *testing.T) {
	h := handover{window: 10 * time.Second}
	t0 := time.Unix(1000, 0)
	a, b := &View{}, &View{}
	h.replaced(a, t0)
	h.replaced(b, t0.Add(4*time.Second))

	if got := h.views(t0.Add(9 * time.Second)); len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("within both windows: %v", got)
	}
	if got := h.views(t0.Add(10 * time.Second)); len(got) != 1 || got[0] != b {
		t.Fatalf("after the first window: %v", got)
	}
	if got := h.views(t0.Add(14 * time.Second)); len(got) != 0 {
		t.Fatalf("after both windows: %v", got)
	}
}

func TestHandoverWithoutWindowRemembersNothing(t *testing.T) {
	var h handover
	h.replaced(&View{}, time.Unix(0, 0))
	if got := h.views(time.Unix(0, 0)); len(got) != 0 {
		t.Fatalf("views = %v", got)
	}
}
