package antreaconf

import (
	"fmt"
	"strings"
	"testing"
)

// bigConf is shaped like Antrea v2.x's antrea-agent.conf: about 26 KB,
// mostly comments, with nested sections and the setting near the middle.
func bigConf() string {
	var b strings.Builder
	for i := range 120 {
		fmt.Fprintf(&b, "# Setting %d: a comment line of about the length Antrea's confs use for their help.\n", i)
		fmt.Fprintf(&b, "# More help for setting %d, with a default and an example value.\n", i)
		fmt.Fprintf(&b, "setting%d:\n  enabled: false\n  value: %d\n\n", i, i)
		if i == 60 {
			b.WriteString("# Enable metrics exposure via Prometheus.\nenablePrometheusMetrics: false\n\n")
		}
	}
	return b.String()
}

// BenchmarkSet measures one edit (parse, edit, verify) of a full-size conf.
func BenchmarkSet(b *testing.B) {
	conf := bigConf()
	b.SetBytes(int64(len(conf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Set(conf, MetricsKey, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInspect measures the check every reconcile makes of each conf.
func BenchmarkInspect(b *testing.B) {
	conf := bigConf()
	b.SetBytes(int64(len(conf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inspect(conf, MetricsKey, true); err != nil {
			b.Fatal(err)
		}
	}
}
