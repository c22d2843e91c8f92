package httpapi

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/chatd/chat/domain"
)

// query is a request's query string, read strictly like a request body: a
// misspelled parameter (say "beforSeq") would otherwise be ignored and
// silently change what the caller gets.
type query map[string]string

// readQuery accepts only the named parameters, each at most once.
func readQuery(r *http.Request, known ...string) (query, error) {
	values := r.URL.Query()
	q := make(query, len(values))
	for name, vs := range values {
		if !slices.Contains(known, name) {
			if len(known) == 0 {
				return nil, domain.Errorf(domain.KindBadRequest, "unknown query parameter %q; this endpoint takes none", name)
			}
			return nil, domain.Errorf(domain.KindBadRequest, "unknown query parameter %q; known: %s", name, strings.Join(known, ", "))
		}
		if len(vs) > 1 {
			return nil, domain.Errorf(domain.KindBadRequest, "query parameter %q given %d times", name, len(vs))
		}
		q[name] = vs[0]
	}
	return q, nil
}

// filter returns a parameter that narrows a listing, "" when absent. A
// parameter given empty (?type=) is refused rather than read as absent:
// it is outside every value the document allows, and silently widening
// the listing would hide the caller's mistake.
func (q query) filter(name string) (string, error) {
	v, ok := q[name]
	if ok && v == "" {
		return "", domain.Errorf(domain.KindValidation, "query parameter %q must not be empty; leave it out to not filter", name)
	}
	return v, nil
}

// int64 returns a parameter as an integer, nil when absent. A value that is
// not an integer is a bad_request; its range is the use case's to judge.
func (q query) int64(name string) (*int64, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, domain.Errorf(domain.KindBadRequest, "query parameter %q must be an integer", name)
	}
	return &n, nil
}

// int is int64 for parameters such as limit. Values beyond 32 bits are
// clamped, still out of every range the use cases accept, so they fail
// validation there with the usual message instead of wrapping around.
func (q query) int(name string) (*int, error) {
	n, err := q.int64(name)
	if n == nil || err != nil {
		return nil, err
	}
	v := int(max(min(*n, math.MaxInt32), math.MinInt32))
	return &v, nil
}
