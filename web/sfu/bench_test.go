package sfu_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// frameBytes makes the generator's 30 frames a second about 1.5 Mbit/s,
// a 720p screen share's rate.
const frameBytes = 1_500_000 / 8 / 30

// BenchmarkForwarding runs rooms of one publisher and one viewer side by
// side, each forwarding ~1.5 Mbit/s, and reports per size: frames lost
// (sent by the publishers, not received by the viewers), frames late
// (first packet more than 100 ms after it was sent) and the 99th percentile
// of that delay. Each iteration is one second of media:
//
//	go test -run '^$' -bench Forwarding -benchtime 5x ./web/sfu/
//
// The test's publishers and viewers run in the same process as the SFU, so
// the machine does the SFU's work plus both browsers' RTP and SRTP work: the
// figures are a floor for the SFU alone.
func BenchmarkForwarding(b *testing.B) {
	for _, rooms := range []int{1, 10, 20, 30, 40, 50, 60, 80} {
		b.Run(fmt.Sprintf("rooms=%d", rooms), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := clientAPI(b)
			srv := newServer(b)
			var pubs, viewers []*client
			for i := range rooms {
				room := srv.NewRoom(fmt.Sprint("room", i), newPolicy().allow("customer", "tech"))
				defer room.Close(ctx, "benchmark over")
				pub := join(b, api, room, "customer")
				pub.publish(ctx, frameBytes, 0)
				pubs = append(pubs, pub)
				viewers = append(viewers, join(b, api, room, "tech"))
			}
			for _, v := range viewers {
				v.waitFrames(b, 30, within) // all running before measuring
			}
			var sent, received int64
			var lats []time.Duration
			b.ResetTimer()
			for b.Loop() {
				s0, r0 := sum(pubs, false), sum(viewers, true)
				for _, v := range viewers {
					v.takeLatencies()
				}
				<-time.After(time.Second) // the measuring window, not a wait for an event
				sent += sum(pubs, false) - s0
				received += sum(viewers, true) - r0
				for _, v := range viewers {
					lats = append(lats, v.takeLatencies()...)
				}
			}
			b.StopTimer()
			slices.Sort(lats)
			late := 0
			for _, l := range lats {
				if l > 100*time.Millisecond {
					late++
				}
			}
			b.ReportMetric(100*float64(max(sent-received, 0))/float64(max(sent, 1)), "%lost")
			b.ReportMetric(100*float64(late)/float64(max(len(lats), 1)), "%late")
			if len(lats) > 0 {
				b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
			}
		})
	}
}

func sum(cs []*client, received bool) int64 {
	var n int64
	for _, c := range cs {
		if received {
			n += c.frames.Load()
		} else {
			n += c.sent.Load()
		}
	}
	return n
}

// BenchmarkJoinToFirstFrame measures, per iteration, a viewer joining a
// running share until its first complete frame: signalling, ICE, DTLS and
// the keyframe request on loopback.
func BenchmarkJoinToFirstFrame(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(b)
	pol := newPolicy().allow("customer")
	room := newServer(b).NewRoom("r1", pol)
	defer room.Close(ctx, "benchmark over")
	pub := join(b, api, room, "customer")
	pub.publish(ctx, frameBytes, 0)
	var worst, total time.Duration
	i := 0
	for b.Loop() {
		id := fmt.Sprint("tech", i)
		i++
		pol.allow("customer", id)
		v := join(b, api, room, id)
		d := waitFor(b, v.firstAt, "first frame")
		total += d
		worst = max(worst, d)
		b.StopTimer()
		if err := room.Remove(ctx, id, "next"); err != nil {
			b.Fatal(err)
		}
		_ = v.pc.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(i), "ms/first-frame")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
