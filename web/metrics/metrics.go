// Package metrics is relaydesk's Prometheus instrumentation: what the
// dispatcher delivers and how late, and what the HTTP listener answers. All
// collectors are registered on a registry the caller owns, never on the
// global default one, so tests and several servers in one process do not
// collide.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaydesk/relaydesk/core"
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
			Help: "Failed delivery attempts (retried or given up) per destination.",
		}, []string{"destination"}),
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

// Failed records one failed delivery attempt to dest. The error is not a
// label: its text is unbounded and would explode the series count.
func (m *Metrics) Failed(dest string, _ error) {
	m.failures.WithLabelValues(dest).Inc()
}

// Request records one answered HTTP request. route is the ServeMux pattern
// that matched (bounded, unlike the path), "" when none did.
func (m *Metrics) Request(route string, code int) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}
