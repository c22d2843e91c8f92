package protocol_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/interfaces/protocol"
)

// guidePath is the human guide to the protocol. The AsyncAPI tests hold
// api/asyncapi.yaml to the code; this one holds the guide to the AsyncAPI
// document, so the three cannot drift apart.
const guidePath = "../../docs/protocol.md"

// guideTable is one Markdown table of the guide: the first cell of its
// header row (lower case) and its body rows.
type guideTable struct {
	key  string
	rows []guideRow
}

// guideRow is one body row: its first cell, and every cell by the lower
// case text of its column's header.
type guideRow struct {
	first string
	cells map[string]string
}

// guideTables reads every pipe table of a Markdown text outside fenced
// code blocks. A table is a run of lines starting with "|"; its second
// line is the delimiter row. Parsing only this shape keeps the rule simple
// to state in the guide ("the tables whose first header cell is ...").
func guideTables(text string) []guideTable {
	var tables []guideTable
	var cur *guideTable
	var header []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			cur = nil
			continue
		}
		if fenced || !strings.HasPrefix(line, "|") {
			cur = nil
			continue
		}
		cells := splitRow(line)
		switch {
		case cur == nil:
			header = make([]string, len(cells))
			for i, c := range cells {
				header[i] = strings.ToLower(c)
			}
			tables = append(tables, guideTable{key: header[0]})
			cur = &tables[len(tables)-1]
		case isDelimiterRow(cells):
		default:
			row := guideRow{first: cells[0], cells: map[string]string{}}
			for i, c := range cells {
				if i < len(header) {
					row.cells[header[i]] = c
				}
			}
			cur.rows = append(cur.rows, row)
		}
	}
	return tables
}

// splitRow returns the trimmed cells of "| a | b |". Cells in this guide
// hold no escaped pipes, so a plain split is exact.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

func isDelimiterRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" {
			return false
		}
	}
	return true
}

// codeSpan returns the text of a cell that is exactly one code span.
func codeSpan(cell string) (string, error) {
	if len(cell) < 3 || cell[0] != '`' || cell[len(cell)-1] != '`' || strings.Count(cell, "`") != 2 {
		return "", fmt.Errorf("cell %q is not one code span", cell)
	}
	return cell[1 : len(cell)-1], nil
}

// guideColumn collects the first cells of every table keyed key, through
// parse; a key that heads no table is an error, so renaming a header
// cannot make the check pass vacuously.
func guideColumn[T any](t *testing.T, tables []guideTable, key string, parse func(guideRow) (T, error)) []T {
	t.Helper()
	var out []T
	found := false
	for _, tab := range tables {
		if tab.key != key {
			continue
		}
		found = true
		for _, row := range tab.rows {
			v, err := parse(row)
			if err != nil {
				t.Errorf("%s table of %s: %v", key, guidePath, err)
				continue
			}
			out = append(out, v)
		}
	}
	if !found {
		t.Fatalf("%s has no table whose first header cell is %q", guidePath, key)
	}
	return out
}

func TestGuideMatchesAsyncAPI(t *testing.T) {
	text, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	tables := guideTables(string(text))
	doc := loadAsyncAPI(t)
	firstSpan := func(r guideRow) (string, error) { return codeSpan(r.first) }

	t.Run("frame types", func(t *testing.T) {
		inGuide := sorted(guideColumn(t, tables, "frame type", firstSpan))
		var inDoc []string
		for key := range doc.messagesByType() {
			inDoc = append(inDoc, frameType(key)) // typing twice: command and event
		}
		slices.Sort(inDoc)
		if diff := cmp.Diff(inDoc, inGuide); diff != "" {
			t.Errorf("frame types in api/asyncapi.yaml (-) and the frame type tables of %s (+):\n%s", guidePath, diff)
		}
	})

	t.Run("error codes", func(t *testing.T) {
		inGuide := sorted(guideColumn(t, tables, "error code", firstSpan))
		inDoc := strs(doc.get(doc.root, "components", "schemas", "ErrorCode")["enum"])
		if diff := cmp.Diff(inDoc, inGuide); diff != "" {
			t.Errorf("ErrorCode in api/asyncapi.yaml (-) and the error code table of %s (+):\n%s", guidePath, diff)
		}
		// The HTTP status column is the one table in interfaces/protocol.
		guideColumn(t, tables, "error code", func(r guideRow) (string, error) {
			code, err := codeSpan(r.first)
			if err != nil {
				return "", err
			}
			if got, want := r.cells["http status"], strconv.Itoa(protocol.HTTPStatus(code)); got != want {
				return "", fmt.Errorf("%s: HTTP status %q, the code maps it to %s", code, got, want)
			}
			return code, nil
		})
	})

	t.Run("close codes", func(t *testing.T) {
		inGuide := guideColumn(t, tables, "close code", func(r guideRow) (closeCode, error) {
			n, err := strconv.Atoi(r.first)
			if err != nil {
				return closeCode{}, fmt.Errorf("close code %q is not a number", r.first)
			}
			return closeCode{n, r.cells["action"]}, nil
		})
		sortByCode(inGuide)
		if diff := cmp.Diff(doc.closeCodes(), inGuide); diff != "" {
			t.Errorf("x-close-codes in api/asyncapi.yaml (-) and the close code table of %s (+):\n%s", guidePath, diff)
		}
	})
}

// TestGuideTables proves the parser reads what the guide's rule says and
// nothing else: tables in code blocks and tables under other headers are
// ignored, and a cell that is not one code span is reported.
func TestGuideTables(t *testing.T) {
	text := strings.Join([]string{
		"| frame type | payload |",
		"|---|---|",
		"| `ready` | {} |",
		"| `a` and `b` | {} |",
		"",
		"```",
		"| frame type |",
		"|---|",
		"| `hidden` |",
		"```",
		"| close code | name | action |",
		"|:--|--|--:|",
		"| 4001 | unauthorized | stop |",
		"",
		"| other | x |",
		"|---|",
		"| `not_counted` |",
	}, "\n")
	tables := guideTables(text)
	var keys []string
	for _, tab := range tables {
		keys = append(keys, tab.key)
	}
	if diff := cmp.Diff([]string{"frame type", "close code", "other"}, keys); diff != "" {
		t.Fatalf("tables (-want +got):\n%s", diff)
	}
	want := []guideRow{
		{first: "`ready`", cells: map[string]string{"frame type": "`ready`", "payload": "{}"}},
		{first: "`a` and `b`", cells: map[string]string{"frame type": "`a` and `b`", "payload": "{}"}},
	}
	if diff := cmp.Diff(want, tables[0].rows, cmp.AllowUnexported(guideRow{})); diff != "" {
		t.Errorf("frame type rows (-want +got):\n%s", diff)
	}
	want = []guideRow{{first: "4001", cells: map[string]string{"close code": "4001", "name": "unauthorized", "action": "stop"}}}
	if diff := cmp.Diff(want, tables[1].rows, cmp.AllowUnexported(guideRow{})); diff != "" {
		t.Errorf("close code rows (-want +got):\n%s", diff)
	}
	if got, err := codeSpan("`ready`"); err != nil || got != "ready" {
		t.Errorf("codeSpan(`ready`) = %q, %v", got, err)
	}
	if _, err := codeSpan("`a` and `b`"); err == nil {
		t.Errorf("two code spans in a cell were accepted as one frame type")
	}
}

// sorted keeps repeats, so a name listed twice shows up in the diff.
func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
