package metrics_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/metrics"
)

// TestDeployQueriesNameRealMetrics: every metric the Grafana dashboard and
// the example alert rules in deploy/ query is one relaydesk exposes, so a
// renamed metric cannot leave them silently empty.
func TestDeployQueriesNameRealMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	metrics.Live(reg, "widget", func() (int64, int64) { return 0, 0 })
	metrics.Sessions(reg, "media", func() int { return 0 })
	metrics.Requests(reg, func(context.Context) (map[core.Status]int, error) { return nil, nil })
	metrics.Platform(reg, "slack", func() bool { return true })
	reg.MustRegister(collectors.NewDBStatsCollector(storetest.SQLite(t).DB().DB, "relaydesk"))
	m.Delivered("slack", core.Event{}, 1, time.Millisecond)
	m.Failed("slack", errors.New("x"))
	m.Request("GET /healthz", 200)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{"up": true}
	for _, f := range fams {
		exposed[f.GetName()] = true
	}
	names := regexp.MustCompile(`\b(relaydesk_[a-z_]+|go_sql_[a-z_]+)\b`)
	for _, file := range []string{"../../deploy/grafana/relaydesk.json", "../../deploy/prometheus/alerts.yml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names.FindAllString(string(b), -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if s, ok := strings.CutSuffix(name, suffix); ok && exposed[s] {
					base = s
				}
			}
			if !exposed[base] {
				t.Errorf("%s queries %s, which relaydesk does not expose", file, name)
			}
		}
	}
}
