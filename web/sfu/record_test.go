package sfu_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaydesk/relaydesk/web/sfu"
)

// webmSummary is what the test reads back from a recorded file.
type webmSummary struct {
	docType      string
	duration     float64 // ms; -1 when absent
	width        uint64
	clusters     int
	blocks       int
	firstIsKey   bool
	clusterTimes []uint64
	codecs       []string
	trackBlocks  map[byte]int // blocks per track number
}

// readWebM walks a WebM file's elements: a small EBML reader, independent
// of the writer under test.
func readWebM(b []byte) (webmSummary, error) {
	s := webmSummary{duration: -1, trackBlocks: map[byte]int{}}
	r := bytes.NewReader(b)
	id, size, err := elemHead(r)
	if err != nil || id != 0x1A45DFA3 {
		return s, fmt.Errorf("no EBML header (id %x): %v", id, err)
	}
	head := make([]byte, size)
	if _, err := io.ReadFull(r, head); err != nil {
		return s, err
	}
	if err := walk(head, func(id uint64, data []byte) error {
		if id == 0x4282 {
			s.docType = string(data)
		}
		return nil
	}); err != nil {
		return s, err
	}
	id, size, err = elemHead(r)
	if err != nil || id != 0x18538067 {
		return s, fmt.Errorf("no segment (id %x): %v", id, err)
	}
	rest, _ := io.ReadAll(r)
	if size != math.MaxUint64 && size != uint64(len(rest)) {
		return s, fmt.Errorf("segment size %d, %d bytes follow", size, len(rest))
	}
	err = walk(rest, func(id uint64, data []byte) error {
		switch id {
		case 0x1549A966: // Info
			return walk(data, func(id uint64, data []byte) error {
				if id == 0x4489 && len(data) == 8 {
					s.duration = math.Float64frombits(binary.BigEndian.Uint64(data))
				}
				return nil
			})
		case 0x1654AE6B: // Tracks
			return walk(data, func(_ uint64, entry []byte) error {
				return walk(entry, func(id uint64, data []byte) error {
					if id == 0x86 {
						s.codecs = append(s.codecs, string(data))
					}
					if id == 0xE0 {
						return walk(data, func(id uint64, data []byte) error {
							if id == 0xB0 {
								s.width = uintOf(data)
							}
							return nil
						})
					}
					return nil
				})
			})
		case 0x1F43B675: // Cluster
			s.clusters++
			return walk(data, func(id uint64, data []byte) error {
				switch id {
				case 0xE7:
					s.clusterTimes = append(s.clusterTimes, uintOf(data))
				case 0xA3:
					if s.blocks == 0 {
						s.firstIsKey = len(data) > 3 && data[3]&0x80 != 0
					}
					s.blocks++
					if len(data) > 0 {
						s.trackBlocks[data[0]&0x7f]++
					}
				}
				return nil
			})
		}
		return nil
	})
	return s, err
}

func walk(b []byte, f func(id uint64, data []byte) error) error {
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		id, size, err := elemHead(r)
		if err != nil {
			return err
		}
		if size > uint64(r.Len()) {
			return fmt.Errorf("element %x: size %d, %d bytes left", id, size, r.Len())
		}
		data := make([]byte, size)
		_, _ = io.ReadFull(r, data)
		if err := f(id, data); err != nil {
			return err
		}
	}
	return nil
}

// elemHead reads an element's ID and size; an unknown size is MaxUint64.
func elemHead(r *bytes.Reader) (id, size uint64, err error) {
	id, _, err = readVint(r, true)
	if err != nil {
		return 0, 0, err
	}
	size, unknown, err := readVint(r, false)
	if unknown {
		size = math.MaxUint64
	}
	return id, size, err
}

func readVint(r *bytes.Reader, keepMarker bool) (v uint64, allOnes bool, err error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	n := 1
	for n <= 8 && first&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > 8 {
		return 0, false, errors.New("bad variable-size integer")
	}
	v = uint64(first)
	if !keepMarker {
		v &^= 0x80 >> (n - 1)
	}
	allOnes = v == (1<<(7*n))-1 && !keepMarker && n == 1
	for i := 1; i < n; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		v = v<<8 | uint64(c)
	}
	if !keepMarker && v == (1<<(7*n))-1 {
		allOnes = true
	}
	return v, allOnes, nil
}

func uintOf(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// nonSeeker hides a buffer's other methods: a writer that cannot seek back.
type nonSeeker struct{ w io.Writer }

func (n nonSeeker) Write(b []byte) (int, error) { return n.w.Write(b) }

func TestRecordWritesWellFormedWebM(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		seekable bool
	}{
		{"to a file", true},
		{"to a stream", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := clientAPI(t)
			room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
			defer room.Close(ctx, "test over")
			pub := join(t, api, room, "customer")
			pub.publish(ctx, 3000, 0)
			pub.publishAudio(ctx)
			viewer := join(t, api, room, "tech")
			waitFor(t, viewer.tracks, "first track at the viewer")
			waitFor(t, viewer.tracks, "second track at the viewer")
			viewer.waitFrames(t, 5, within)

			path := filepath.Join(t.TempDir(), "session.webm")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var w io.Writer = f
			if !tc.seekable {
				w = nonSeeker{f}
			}
			rec, err := room.Record(w)
			if err != nil {
				t.Fatal(err)
			}
			viewer.waitFrames(t, 90, within) // three seconds of video
			if err := rec.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := rec.Stop(); err != nil { // again: same result, no harm
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := readWebM(b)
			if err != nil {
				t.Fatalf("%d-byte file: %v", len(b), err)
			}
			t.Logf("%d bytes: %+v, dropped %d", len(b), s, rec.Dropped())
			if s.docType != "webm" {
				t.Errorf("doc type %q", s.docType)
			}
			if tc.seekable && (s.duration < 2000 || s.duration > 10000) {
				t.Errorf("duration %v ms, want about 3 s", s.duration)
			}
			if !tc.seekable && s.duration != -1 {
				t.Errorf("duration %v on a stream that cannot be patched", s.duration)
			}
			if len(s.codecs) != 2 || s.codecs[0] == s.codecs[1] || s.trackBlocks[1] == 0 || s.trackBlocks[2] == 0 {
				t.Errorf("codecs %v, blocks per track %v: want video and audio, both with blocks", s.codecs, s.trackBlocks)
			}
			if s.width != 1280 {
				t.Errorf("width %d, want 1280", s.width)
			}
			if s.clusters < 2 || s.blocks < 60 || !s.firstIsKey {
				t.Errorf("%d clusters, %d blocks, first a keyframe: %v; want 2+, 60+, true", s.clusters, s.blocks, s.firstIsKey)
			}
			for i := 1; i < len(s.clusterTimes); i++ {
				if s.clusterTimes[i] < s.clusterTimes[i-1] {
					t.Errorf("cluster times go back: %v", s.clusterTimes)
				}
			}
		})
	}
}

func TestRecordingEndsWithRoom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
	var buf bytes.Buffer
	rec, err := room.Record(&buf)
	if err != nil {
		t.Fatal(err)
	}
	room.Close(ctx, "session over")
	// Nothing was published: still a valid, empty file.
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	s, err := readWebM(buf.Bytes())
	if err != nil || s.docType != "webm" || s.blocks != 0 {
		t.Errorf("empty recording: %+v, %v", s, err)
	}
	if _, err := room.Record(&buf); !errors.Is(err, sfu.ErrClosed) {
		t.Errorf("record in a closed room: %v, want ErrClosed", err)
	}
	if _, err := newServer(t).NewRoom("r2", newPolicy()).Record(nil); err == nil {
		t.Error("record to no writer accepted")
	}
}
