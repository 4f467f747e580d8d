package sfu

import (
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// keyframeGap is the least time between two keyframe requests sent to a
// publisher: a burst of new viewers asks once.
const keyframeGap = 200 * time.Millisecond

// forward is one published track and its copy to the receivers: RTP is read
// from the publisher and written, unchanged but for SSRC and payload type,
// to every receiver bound to local.
type forward struct {
	room   *Room
	pub    *peer
	remote *webrtc.TrackRemote
	recv   *webrtc.RTPReceiver
	local  *webrtc.TrackLocalStaticRTP

	sinks    atomic.Pointer[[]*recTrack] // recordings; replaced under room.mu
	lastKey  atomic.Int64                // unix nanos of the last keyframe request
	stopping atomic.Bool
}

// publish starts forwarding a track peer p sends, if the policy lets it.
func (r *Room) publish(p *peer, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	log := r.log.With("peer", p.id, "track", t.ID(), "codec", t.Codec().MimeType)
	r.mu.Lock()
	if r.closed || r.peers[p.id] != p || !r.policy.MayPublish(r.ctx, p.id) {
		r.mu.Unlock()
		log.Info("track refused")
		_ = recv.Stop()
		return
	}
	id := t.ID()
	if id == "" {
		id = t.Kind().String()
	}
	// The forwarded track's ID names its publisher too: two publishers may
	// both call a track "screen", and a receiver that tells tracks apart by
	// ID would end the wrong one when one of them is withdrawn.
	local, err := webrtc.NewTrackLocalStaticRTP(t.Codec().RTPCodecCapability, p.id+"/"+id, p.id)
	if err != nil {
		r.mu.Unlock()
		log.Warn("track not forwarded", "err", err)
		return
	}
	f := &forward{room: r, pub: p, remote: t, recv: recv, local: local}
	r.forwards[f] = struct{}{}
	changed := make(map[*peer]bool)
	for _, q := range r.peers {
		if q != p && r.policy.MayReceive(r.ctx, q.id, p.id) {
			q.attach(f)
			changed[q] = true
		}
	}
	for rec := range r.recs {
		rec.add(f)
	}
	r.mu.Unlock()

	log.Info("track published")
	renegotiate(changed)
	go f.run()
}

// run copies packets until the publisher's track ends or is withdrawn.
func (f *forward) run() {
	for {
		pkt, _, err := f.remote.ReadRTP()
		if err != nil {
			break
		}
		if f.stopping.Load() {
			continue // withdrawn: drain until the receiver stops
		}
		if err := f.local.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			f.room.log.Debug("packet not forwarded", "err", err)
		}
		if sinks := f.sinks.Load(); sinks != nil {
			for _, s := range *sinks {
				s.push(pkt)
			}
		}
	}
	r := f.room
	r.mu.Lock()
	changed := r.withdrawLocked(func(g *forward) bool { return g == f })
	r.mu.Unlock()
	renegotiate(changed)
}

// stop withdraws the track: nothing more is forwarded, and the publisher's
// receiver is stopped so run ends.
func (f *forward) stop() {
	if f.stopping.Swap(true) {
		return
	}
	go func() { _ = f.recv.Stop() }()
}

// relayRTCP passes a receiver's picture-loss and full-intra requests on to
// the publisher, so a new or recovering viewer gets a keyframe soon.
func (f *forward) relayRTCP(s *webrtc.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				f.requestKeyframe(false)
			}
		}
	}
}

// requestKeyframe asks the publisher for a keyframe; unless forced, at most
// once per keyframeGap. A recording forces it: the keyframe a viewer's
// request brought may have gone by just before the recording began.
func (f *forward) requestKeyframe(force bool) {
	now := time.Now().UnixNano()
	last := f.lastKey.Load()
	if !force && (now-last < int64(keyframeGap) || !f.lastKey.CompareAndSwap(last, now)) {
		return
	}
	err := f.pub.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(f.remote.SSRC())}})
	if err != nil && !errors.Is(err, io.ErrClosedPipe) {
		f.room.log.Debug("keyframe request not sent", "err", err)
	}
}
