// Package metrics is relaydesk's Prometheus instrumentation: what the
// dispatcher delivers and how late, and what the HTTP listener answers. All
// collectors are registered on a registry the caller owns, never on the
// global default one, so tests and several servers in one process do not
// collide.
package metrics

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Metrics implements dispatch.Metrics and counts HTTP requests for web.
type Metrics struct {
	delivered *prometheus.CounterVec
	failures  *prometheus.CounterVec
	lag       *prometheus.HistogramVec
	requests  *prometheus.CounterVec
}

// New creates relaydesk's collectors and registers them on reg, with a
// relaydesk_build_info series naming version. It panics if reg already
// holds them, like prometheus.MustRegister: that is a wiring mistake.
func New(reg prometheus.Registerer, version string) *Metrics {
	m := &Metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaydesk_dispatch_delivered_total",
			Help: "Events delivered to an outbound destination.",
		}, []string{"destination"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaydesk_dispatch_failures_total",
			Help: "Failed delivery attempts per destination, by kind: rate_limited (the platform answered 429), " +
				"permanent (given up: recorded on the request) or retry (anything else, tried again).",
		}, []string{"destination", "kind"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "relaydesk_dispatch_lag_seconds",
			Help: "Time from an event's commit to its delivery, retries included.",
			// From a few milliseconds (live delivery) to an hour (a platform
			// outage worked off after it ends).
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"destination"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaydesk_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "relaydesk_build_info",
		Help:        "Always 1; the version label says which relaydesk runs.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	reg.MustRegister(m.delivered, m.failures, m.lag, m.requests, info)
	return m
}

// Delivered records one event taken by dest; lag is the time since the
// event was committed.
func (m *Metrics) Delivered(dest string, _ core.Event, _ int, lag time.Duration) {
	m.delivered.WithLabelValues(dest).Inc()
	m.lag.WithLabelValues(dest).Observe(lag.Seconds())
}

// Failed records one failed delivery attempt to dest, by kind. The error
// is not a label: its text is unbounded and would explode the series
// count.
func (m *Metrics) Failed(dest string, err error) {
	kind := "retry"
	var ra *dispatch.RetryAfterError
	var pe *dispatch.PermanentError
	switch {
	case errors.As(err, &ra):
		kind = "rate_limited"
	case errors.As(err, &pe):
		kind = "permanent"
	}
	m.failures.WithLabelValues(dest, kind).Inc()
}

// Live reports how many clients of surface ("console", "widget") follow
// it live, by transport (websocket, poll), as clients says at each scrape.
func Live(reg prometheus.Registerer, surface string, clients func() (sockets, polls int64)) {
	for _, tr := range []string{"websocket", "poll"} {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "relaydesk_live_clients",
			Help:        "Browsers following the console or the widget live now, by transport.",
			ConstLabels: prometheus.Labels{"surface": surface, "transport": tr},
		}, func() float64 {
			ws, polls := clients()
			if tr == "websocket" {
				return float64(ws)
			}
			return float64(polls)
		}))
	}
}

// Sessions registers relaydesk_live_sessions{kind}: the live sessions
// this process holds now, screen shares and calls (their media rooms) or
// co-browsing, so an operator sees what a process carries before
// restarting it.
func Sessions(reg prometheus.Registerer, kind string, count func() int) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "relaydesk_live_sessions",
		Help:        "Live sessions this process holds now: media rooms (screen shares and calls) or co-browsing.",
		ConstLabels: prometheus.Labels{"kind": kind},
	}, func() float64 { return float64(count()) }))
}

// Requests reports the desk's requests by status at each scrape, as count
// says (the whole desk's, so every process reports the same: aggregate with
// max, not sum). A count that fails or takes over two seconds reports
// nothing that scrape.
func Requests(reg prometheus.Registerer, count func(ctx context.Context) (map[core.Status]int, error)) {
	reg.MustRegister(requestsCollector{count})
}

var requestsDesc = prometheus.NewDesc("relaydesk_requests", "Requests in the desk by status (new, active, completed).",
	[]string{"status"}, nil)

type requestsCollector struct {
	count func(ctx context.Context) (map[core.Status]int, error)
}

func (c requestsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- requestsDesc }

func (c requestsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		return
	}
	for _, st := range []core.Status{core.StatusNew, core.StatusActive, core.StatusCompleted} {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// Request records one answered HTTP request. route is the ServeMux pattern
// that matched (bounded, unlike the path), "" when none did.
func (m *Metrics) Request(route string, code int) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

// Platform reports whether a chat platform's link is up (1) or being
// re-established (0), as up says at each scrape: a process that leaves the
// connection to another (standby) counts as up.
func Platform(reg prometheus.Registerer, platform string, up func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "relaydesk_platform_up",
		Help:        "1 while relaydesk's link to a chat platform works (or another process holds it), 0 while it reconnects.",
		ConstLabels: prometheus.Labels{"platform": platform},
	}, func() float64 {
		if up() {
			return 1
		}
		return 0
	}))
}
