package httpapi

import (
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/chatd/chat/domain"
)

// The protocol refuses U+0000 in every string a client sends
// (docs/protocol.md, input hygiene): PostgreSQL cannot store it in text, so letting it
// through would fail deep in a query as an internal error. It is checked
// once, here at the HTTP boundary, for the path and the query (rejectNUL)
// and for decoded bodies (decodeJSON calls checkNoNUL).

// errNUL is the validation error of a string that holds U+0000.
func errNUL(where string) error {
	return domain.Errorf(domain.KindValidation, "%s must not contain U+0000", where)
}

// rejectNUL refuses a request whose path or query string holds U+0000,
// before any handler sees it.
func rejectNUL(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.ContainsRune(r.URL.Path, 0) {
				writeError(w, r, logger, errNUL("the path"))
				return
			}
			for name, values := range r.URL.Query() {
				if strings.ContainsRune(name+strings.Join(values, ""), 0) {
					writeError(w, r, logger, errNUL("a query parameter"))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkNoNUL walks a decoded request body and refuses it when any string
// in it holds U+0000, naming the JSON field.
func checkNoNUL(v any) error {
	return walkNUL(reflect.ValueOf(v), "request body")
}

func walkNUL(v reflect.Value, where string) error {
	switch v.Kind() {
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return errNUL(where)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkNUL(v.Elem(), where)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if err := walkNUL(v.Field(i), jsonName(t.Field(i))); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := walkNUL(v.Index(i), where); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := walkNUL(it.Key(), where); err != nil {
				return err
			}
			if err := walkNUL(it.Value(), where); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonName is the name a struct field has in JSON.
func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
		return name
	}
	return f.Name
}
