package sfu

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// Recording writes a room's forwarded VP8 video and Opus audio to a WebM
// file. It runs beside the forwarding: a slow writer loses recorded packets
// (counted in Dropped), never live ones.
type Recording struct {
	room    *Room
	w       io.Writer
	started time.Time
	in      chan recPacket
	stop    chan struct{}
	ended   chan struct{}
	once    sync.Once
	err     error
	dropped atomic.Int64
	// headed is set once the file's header (its list of tracks) is
	// written; late is closed when a track comes after it, which this file
	// cannot hold.
	headed   atomic.Bool
	late     chan struct{}
	lateOnce sync.Once

	// Owned by run's goroutine (and add, under room.mu, before it is seen).
	mu     sync.Mutex
	tracks []*recTrack
	webm   *webmWriter
	base   time.Duration // recording time of the file's first frame
}

type recPacket struct {
	t   *recTrack
	pkt *rtp.Packet
	at  time.Time
}

// recTrack is one forwarded track as the recording sees it.
type recTrack struct {
	rec     *Recording
	video   bool
	codec   string
	clock   uint32
	sb      *samplebuilder.SampleBuilder
	number  uint64 // in the file; 0 until the header includes it
	keyed   bool   // a keyframe was written, later frames decode
	began   bool
	firstTS uint32
	firstAt time.Duration // when its first frame came, since the recording started
	w, h    uint64
}

// Record starts writing the room's tracks to w as WebM; the caller asks only
// once the customer has allowed it. Tracks published later are added while
// the file's header is not written yet (it is written at the first video
// keyframe). Stop finishes the file; so does the room's end.
func (r *Room) Record(w io.Writer) (*Recording, error) {
	if w == nil {
		return nil, errors.New("sfu: record needs a writer")
	}
	rec := &Recording{
		room:    r,
		w:       w,
		started: time.Now(),
		in:      make(chan recPacket, 4096),
		stop:    make(chan struct{}),
		ended:   make(chan struct{}),
		late:    make(chan struct{}),
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("record room %s: %w", r.id, ErrClosed)
	}
	for f := range r.forwards {
		rec.add(f)
	}
	r.recs[rec] = struct{}{}
	go rec.run()
	r.log.Info("recording started")
	return rec, nil
}

// add makes f a source of the recording if WebM can hold its codec.
// room.mu is held, which also guards f.sinks.
func (rec *Recording) add(f *forward) {
	c := f.remote.Codec()
	t := &recTrack{rec: rec, clock: c.ClockRate}
	switch {
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeVP8):
		t.video, t.codec = true, "V_VP8"
		t.sb = samplebuilder.New(256, &codecs.VP8Packet{}, c.ClockRate)
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus):
		t.codec = "A_OPUS"
		t.sb = samplebuilder.New(64, &codecs.OpusPacket{}, c.ClockRate)
	default:
		rec.room.log.Info("track not recorded: codec", "codec", c.MimeType)
		return
	}
	rec.mu.Lock()
	rec.tracks = append(rec.tracks, t)
	rec.mu.Unlock()
	if rec.headed.Load() {
		rec.lateOnce.Do(func() { close(rec.late) })
	}
	var sinks []*recTrack
	if old := f.sinks.Load(); old != nil {
		sinks = append(sinks, *old...)
	}
	sinks = append(sinks, t)
	f.sinks.Store(&sinks)
	if t.video {
		f.requestKeyframe(true) // the file can start only at a keyframe
	}
}

// push hands a forwarded packet to the recording without waiting.
func (t *recTrack) push(pkt *rtp.Packet) {
	select {
	case t.rec.in <- recPacket{t: t, pkt: pkt, at: time.Now()}:
	default:
		t.rec.dropped.Add(1)
	}
}

// Late is closed when a track is published after the file's header was
// written (a camera turned on, someone joining a call): this file cannot
// hold it, and the caller may start another recording, which will.
func (rec *Recording) Late() <-chan struct{} { return rec.late }

// Dropped is how many packets the recording lost because writing lagged.
func (rec *Recording) Dropped() int64 { return rec.dropped.Load() }

// Stop ends the recording and finishes the file. It is safe to call more
// than once and after the room ended; each call returns the first result.
func (rec *Recording) Stop() error {
	r := rec.room
	r.mu.Lock()
	delete(r.recs, rec)
	for f := range r.forwards {
		if old := f.sinks.Load(); old != nil {
			var keep []*recTrack
			for _, t := range *old {
				if t.rec != rec {
					keep = append(keep, t)
				}
			}
			f.sinks.Store(&keep)
		}
	}
	r.mu.Unlock()
	return rec.finish()
}

func (rec *Recording) finish() error {
	rec.once.Do(func() {
		close(rec.stop)
		<-rec.ended
		rec.room.log.Info("recording stopped", "dropped", rec.dropped.Load(), "err", rec.err)
	})
	<-rec.ended
	return rec.err
}

func (rec *Recording) run() {
	defer close(rec.ended)
	for {
		select {
		case p := <-rec.in:
			rec.packet(p)
		case <-rec.stop:
			for {
				select {
				case p := <-rec.in:
					rec.packet(p)
				default:
					rec.close()
					return
				}
			}
		}
	}
}

func (rec *Recording) close() {
	if rec.webm == nil {
		// Nothing decodable came: still leave a valid, empty file.
		if err := rec.writeHeader(); err != nil {
			rec.err = err
			return
		}
	}
	if err := rec.webm.Close(); err != nil {
		rec.err = fmt.Errorf("finish recording: %w", err)
	}
}

func (rec *Recording) packet(p recPacket) {
	if rec.err != nil {
		return
	}
	t := p.t
	t.sb.Push(p.pkt)
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		if err := rec.sample(t, s, p.at); err != nil {
			rec.err = err
			return
		}
	}
}

// sample writes one frame, timed by its RTP timestamp from the moment the
// track's first frame arrived, so tracks stay in step with each other.
func (rec *Recording) sample(t *recTrack, s *media.Sample, at time.Time) error {
	if !t.began {
		t.began, t.firstTS, t.firstAt = true, s.PacketTimestamp, at.Sub(rec.started)
	}
	when := t.firstAt + time.Duration(s.PacketTimestamp-t.firstTS)*time.Second/time.Duration(t.clock)
	key := !t.video
	if t.video {
		var ok bool
		key, t.w, t.h, ok = vp8Keyframe(s.Data, t.w, t.h)
		if !ok {
			return nil
		}
	}
	if rec.webm == nil {
		if !t.video || !key {
			return nil // the file starts at a video keyframe
		}
		rec.base = when
		if err := rec.writeHeader(); err != nil {
			return err
		}
	}
	if t.number == 0 || (t.video && !t.keyed && !key) {
		return nil
	}
	t.keyed = t.keyed || key
	ms := (when - rec.base).Milliseconds()
	if ms < 0 {
		return nil
	}
	return rec.webm.frame(t.number, ms, key, t.video, s.Data, s.Duration.Milliseconds())
}

func (rec *Recording) writeHeader() error {
	rec.mu.Lock()
	tracks := rec.tracks
	rec.mu.Unlock()
	var wt []webmTrack
	for i, t := range tracks {
		t.number = uint64(i + 1)
		wt = append(wt, webmTrack{number: t.number, video: t.video, codec: t.codec, width: t.w, height: t.h})
	}
	m, err := newWebmWriter(rec.w, wt)
	if err != nil {
		return fmt.Errorf("start recording: %w", err)
	}
	rec.webm = m
	rec.headed.Store(true)
	return nil
}

// vp8Keyframe reads a VP8 frame's tag (RFC 6386 §9.1): whether it is a
// keyframe and, if so, the picture size; w and h pass through otherwise.
// ok is false for data too short to be a frame.
func vp8Keyframe(b []byte, w, h uint64) (key bool, nw, nh uint64, ok bool) {
	if len(b) < 3 {
		return false, w, h, false
	}
	if b[0]&1 != 0 {
		return false, w, h, true
	}
	if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return false, w, h, false
	}
	return true, uint64(b[6]) | uint64(b[7]&0x3f)<<8, uint64(b[8]) | uint64(b[9]&0x3f)<<8, true
}
