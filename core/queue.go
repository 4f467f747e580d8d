package core

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
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
	OwnerID    string   // "" : any
	Sort       SortColumn
	Desc       bool
	After      *QueueCursor
	Limit      int
}

// QueueCursor is the keyset position after the last row of a page: the sort
// column's value and the request ID that breaks ties.
type QueueCursor struct {
	Value any    `json:"v"` // string or int64, by column
	ID    string `json:"id"`
}

// QueuePage is one page of a view.
type QueuePage struct {
	Requests []Request
	NextPage string // "" on the last page
}

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
	b, _ := json.Marshal(QueueCursor{Value: r.SortValue(c), ID: r.ID})
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
	var cur QueueCursor
	if err := dec.Decode(&cur); err != nil || cur.ID == "" {
		return nil, bad
	}
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
		if c.IntSort() {
			return nil, bad
		}
	default:
		return nil, bad
	}
	return &cur, nil
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
