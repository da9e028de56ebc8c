package antreaconf

import (
	"reflect"
	"testing"
)

// FuzzSet checks, for any input the parser accepts: Set is idempotent, the
// result parses to the same mapping with only the key changed, and Restore
// gives back the input byte for byte. Inputs it refuses come back untouched.
func FuzzSet(f *testing.F) {
	seeds := []string{
		"",
		"enablePrometheusMetrics: true\n",
		"enablePrometheusMetrics: false # off\n",
		"#enablePrometheusMetrics: true\n",
		"a: 1\r\n#enablePrometheusMetrics: true\r\nb: [1, 2]\r\n",
		"featureGates:\n  AntreaProxy: true\n  enablePrometheusMetrics: false\napiPort: 10350",
		"x: |\n  #enablePrometheusMetrics: true\n  text\n",
		"{a: 1, enablePrometheusMetrics: false}",
		"- a\n",
		"a: [1, 2\n",
		"  k: v\n  #  enablePrometheusMetrics: x\n",
		"enablePrometheusMetrics: !!bool true\n",
	}
	for _, s := range seeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, conf string, value bool) {
		out, orig, err := Set(conf, MetricsKey, value)
		if err != nil {
			if out != conf {
				t.Fatalf("Set() failed but changed the input")
			}
			return
		}
		again, _, err := Set(out, MetricsKey, value)
		if err != nil || again != out {
			t.Fatalf("Set() not idempotent: %q -> %q (err %v)", out, again, err)
		}
		before, err := decodeMap(conf)
		if err != nil {
			t.Fatalf("accepted input does not decode: %v", err)
		}
		after, err := decodeMap(out)
		if err != nil {
			t.Fatalf("output does not decode: %v", err)
		}
		if after[MetricsKey] != value {
			t.Fatalf("output holds %v, want %v", after[MetricsKey], value)
		}
		delete(before, MetricsKey)
		delete(after, MetricsKey)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("other keys changed: %v -> %v", before, after)
		}
		if orig.State == StatePresent && orig.Token == map[bool]string{true: "true", false: "false"}[value] {
			return // nothing was changed, nothing to restore
		}
		restored, _, err := Restore(out, MetricsKey, value, orig)
		if err != nil {
			t.Fatalf("Restore() error: %v", err)
		}
		if restored != conf {
			t.Fatalf("Restore() = %q, want %q", restored, conf)
		}
	})
}
