package core

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/core/markup"
)

// View is one of the request lists of the Support Center.
type View string

// Views. Mine is the technician's "My Support Requests": what they own and
// have not closed.
const (
	ViewAll       View = "all"
	ViewNew       View = "new"
	ViewActive    View = "active"
	ViewCompleted View = "completed"
	ViewMine      View = "mine"
)

// SortColumn is a column the request lists can be sorted by.
type SortColumn string

// Sort columns: every column of the list.
const (
	SortNumber   SortColumn = "number"
	SortCreated  SortColumn = "created"
	SortUpdated  SortColumn = "updated"
	SortCompany  SortColumn = "company"
	SortStatus   SortColumn = "status"
	SortOwner    SortColumn = "owner"
	SortCustomer SortColumn = "customer"
)

// Views and SortColumns list the valid values, for help texts and parsing.
func Views() []View { return []View{ViewAll, ViewNew, ViewActive, ViewCompleted, ViewMine} }

// SortColumns lists every sortable column.
func SortColumns() []SortColumn {
	return []SortColumn{SortNumber, SortCreated, SortUpdated, SortCompany, SortStatus, SortOwner, SortCustomer}
}

// QueueRequest is what a technician asks for: a view, an order and a page.
type QueueRequest struct {
	View  View
	Sort  SortColumn // default: created
	Desc  bool
	After string // the NextPage of the previous page; "" for the first
	Limit int    // default 50, at most 200
}

// QueueQuery is a QueueRequest resolved by the engine: the companies the
// technician may see and the decoded cursor. Stores answer it.
type QueueQuery struct {
	CompanyIDs []string
	Statuses   []Status // empty: any
	// Mine, a technician's ID, keeps the requests they own or take part in
	// as a collaborator still in the chat; "" keeps all.
	Mine string
	// Viewer is the technician asking: each row says their part in the
	// request and counts the customer lines they have not read. "" for
	// nobody: no part, nothing unread.
	Viewer string
	Sort   SortColumn
	Desc   bool
	After  *QueueCursor
	Limit  int
}

// QueueCursor is the keyset position after the last row of a page: the sort
// column's value, then the request number and ID that break ties (in that
// order, for every column).
type QueueCursor struct {
	Value  any    `json:"v"` // string or int64, by column
	Number int64  `json:"n"`
	ID     string `json:"id"`
}

// QueuePage is one page of a view. Rows are its requests with what the
// lists show beside them; Requests are the same requests alone.
type QueuePage struct {
	Requests []Request
	Rows     []QueueRow
	NextPage string // "" on the last page
}

// The parts a technician may have in a request, as a queue row says.
const (
	PartOwner        = "owner"
	PartCollaborator = "collaborator"
)

// QueueRow is a request as a technician's list shows it.
type QueueRow struct {
	Request
	// Part is the viewer's: PartOwner, PartCollaborator or "".
	Part string
	// Preview is the plain text of the request's last chat line, a
	// customer's or a technician's, or its file's name: not private notes,
	// not withdrawn messages; at most PreviewRunes runes. PreviewAuthor is
	// who wrote it, "" when the chat has no line yet.
	Preview       string
	PreviewAuthor ActorKind
	// CustomerLeft says that the request is open and every customer in it
	// has left the chat.
	CustomerLeft bool
	// Unread counts the customer's chat lines after the viewer's read mark
	// (Engine.MarkRead); 0 unless the viewer owns or collaborates on it.
	Unread int
	// Actions is what the viewer may do with the request now.
	Actions []Action
}

// PreviewRunes is the longest preview a queue row carries.
const PreviewRunes = 140

// PreviewOf is a queue row's preview of a chat line: fileName for a file,
// else body's plain text on one line, cut to PreviewRunes runes with "…".
func PreviewOf(body, fileName string) string {
	s := fileName
	if s == "" {
		s = markup.Plain(markup.Parse(body))
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > PreviewRunes {
		s = string(r[:PreviewRunes-1]) + "…"
	}
	return s
}

// StatusRank is a status's place in the workflow, the order the lists sort
// statuses in: new, active, completed.
func StatusRank(s Status) int {
	switch s {
	case StatusNew:
		return 0
	case StatusActive:
		return 1
	}
	return 2
}

// Statuses lists every status in workflow order.
func Statuses() []Status { return []Status{StatusNew, StatusActive, StatusCompleted} }

// SortValue returns r's value in column c, as the store compares it.
func (r Request) SortValue(c SortColumn) any {
	switch c {
	case SortNumber:
		return r.Number
	case SortUpdated:
		return r.UpdatedAt.UnixMicro()
	case SortCompany:
		return r.CompanyName
	case SortStatus:
		return string(r.Status)
	case SortOwner:
		return r.OwnerName
	case SortCustomer:
		return r.CustomerEmail
	default:
		return r.CreatedAt.UnixMicro()
	}
}

// IntSort reports whether column c holds integers.
func (c SortColumn) IntSort() bool { return c == SortNumber || c == SortCreated || c == SortUpdated }

func encodeCursor(c SortColumn, r Request) string {
	b, _ := json.Marshal(QueueCursor{Value: r.SortValue(c), Number: r.Number, ID: r.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c SortColumn, s string) (*QueueCursor, error) {
	bad := Errorf(CodeInvalid, "the page cursor is not valid for this list; start from the first page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var cur struct {
		QueueCursor
		Number *int64 `json:"n"` // required: cursors from before numbers broke ties are refused
	}
	if err := dec.Decode(&cur); err != nil || cur.ID == "" || cur.Number == nil {
		return nil, bad
	}
	cur.QueueCursor.Number = *cur.Number
	switch v := cur.Value.(type) {
	case json.Number:
		if !c.IntSort() {
			return nil, bad
		}
		n, err := v.Int64()
		if err != nil {
			return nil, bad
		}
		cur.Value = n
	case string:
		if c.IntSort() || c == SortStatus && !slices.Contains(Statuses(), Status(v)) {
			return nil, bad
		}
	default:
		return nil, bad
	}
	return &cur.QueueCursor, nil
}

func parseSort(s SortColumn) (SortColumn, error) {
	if s == "" {
		return SortCreated, nil
	}
	for _, c := range SortColumns() {
		if c == s {
			return c, nil
		}
	}
	return "", Errorf(CodeInvalid, "cannot sort by %q; sort by one of %s", s, joinSorts())
}

func joinSorts() string {
	var b strings.Builder
	for i, c := range SortColumns() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, c)
	}
	return b.String()
}
