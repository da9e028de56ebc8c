package antreaconf

import (
	"errors"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		value    bool
		want     string
		wantOrig Setting
		wantErr  string
	}{
		{
			name:     "present false to true keeps comments and order",
			conf:     "# header\nfeatureGates:\n  AntreaProxy: true\n\n# Enable metrics.\nenablePrometheusMetrics: false # was off\napiPort: 10350\n",
			value:    true,
			want:     "# header\nfeatureGates:\n  AntreaProxy: true\n\n# Enable metrics.\nenablePrometheusMetrics: true # was off\napiPort: 10350\n",
			wantOrig: Setting{State: StatePresent, Value: false, Token: "false"},
		},
		{
			name:     "present already true is unchanged",
			conf:     "enablePrometheusMetrics: true\n",
			value:    true,
			want:     "enablePrometheusMetrics: true\n",
			wantOrig: Setting{State: StatePresent, Value: true, Token: "true"},
		},
		{
			name:     "present True spelled differently is rewritten canonically",
			conf:     "a: 1\nenablePrometheusMetrics: True\n",
			value:    false,
			want:     "a: 1\nenablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StatePresent, Value: true, Token: "True"},
		},
		{
			name:     "explicit tag is replaced with the value",
			conf:     "enablePrometheusMetrics: !!bool false\nb: x\n",
			value:    true,
			want:     "enablePrometheusMetrics: true\nb: x\n",
			wantOrig: Setting{State: StatePresent, Value: false, Token: "!!bool false"},
		},
		{
			name:     "commented out is uncommented in place",
			conf:     "apiPort: 10350\n\n# Enable metrics exposure via Prometheus.\n#enablePrometheusMetrics: true\n\nflowCollectorAddr: x\n",
			value:    false,
			want:     "apiPort: 10350\n\n# Enable metrics exposure via Prometheus.\nenablePrometheusMetrics: false\n\nflowCollectorAddr: x\n",
			wantOrig: Setting{State: StateCommented, Value: true, Line: "#enablePrometheusMetrics: true"},
		},
		{
			name:     "commented with space after hash",
			conf:     "# enablePrometheusMetrics: true\n",
			value:    false,
			want:     "enablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StateCommented, Value: true, Line: "# enablePrometheusMetrics: true"},
		},
		{
			name:     "absent is appended at the end",
			conf:     "apiPort: 10350\nfeatureGates:\n  Egress: true\n",
			value:    false,
			want:     "apiPort: 10350\nfeatureGates:\n  Egress: true\nenablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "absent without final newline",
			conf:     "apiPort: 10350",
			value:    true,
			want:     "apiPort: 10350\nenablePrometheusMetrics: true",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "empty conf",
			conf:     "",
			value:    true,
			want:     "enablePrometheusMetrics: true\n",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "comment-only conf",
			conf:     "# nothing set\n",
			value:    false,
			want:     "# nothing set\nenablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "nested key and nested comment are not the top-level setting",
			conf:     "multicast:\n  enablePrometheusMetrics: false\n  #enablePrometheusMetrics: true\nenablePrometheusMetrics: false\n",
			value:    true,
			want:     "multicast:\n  enablePrometheusMetrics: false\n  #enablePrometheusMetrics: true\nenablePrometheusMetrics: true\n",
			wantOrig: Setting{State: StatePresent, Value: false, Token: "false"},
		},
		{
			name:     "only nested key means absent at top level",
			conf:     "multicast:\n  #enablePrometheusMetrics: false\n  enablePrometheusMetrics: false\n",
			value:    false,
			want:     "multicast:\n  #enablePrometheusMetrics: false\n  enablePrometheusMetrics: false\nenablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "CRLF line endings are kept",
			conf:     "a: 1\r\n#enablePrometheusMetrics: true\r\nb: 2\r\n",
			value:    false,
			want:     "a: 1\r\nenablePrometheusMetrics: false\r\nb: 2\r\n",
			wantOrig: Setting{State: StateCommented, Value: true, Line: "#enablePrometheusMetrics: true"},
		},
		{
			name:     "CRLF absent appends with CRLF",
			conf:     "a: 1\r\nb: 2\r\n",
			value:    true,
			want:     "a: 1\r\nb: 2\r\nenablePrometheusMetrics: true\r\n",
			wantOrig: Setting{State: StateAbsent, Value: true},
		},
		{
			name:     "other keys with similar names are untouched",
			conf:     "enablePrometheusMetricsX: false\nxenablePrometheusMetrics: false\nenablePrometheusMetrics: false\n",
			value:    true,
			want:     "enablePrometheusMetricsX: false\nxenablePrometheusMetrics: false\nenablePrometheusMetrics: true\n",
			wantOrig: Setting{State: StatePresent, Value: false, Token: "false"},
		},
		{
			name:     "indented top-level mapping",
			conf:     "  a: 1\n  #enablePrometheusMetrics: true\n",
			value:    false,
			want:     "  a: 1\n  enablePrometheusMetrics: false\n",
			wantOrig: Setting{State: StateCommented, Value: true, Line: "  #enablePrometheusMetrics: true"},
		},
		{
			name:     "flow mapping with the key present",
			conf:     "{a: 1, enablePrometheusMetrics: false}\n",
			value:    true,
			want:     "{a: 1, enablePrometheusMetrics: true}\n",
			wantOrig: Setting{State: StatePresent, Value: false, Token: "false"},
		},
		{name: "not YAML", conf: "a: [1, 2\nb: c\n", value: true, wantErr: "did not find expected"},
		{name: "tab indentation", conf: "a:\n\t- b\n", value: true, wantErr: "invalid Antrea configuration"},
		{name: "top level is a list", conf: "- a\n- b\n", value: true, wantErr: "the top level is a sequence, not a mapping"},
		{name: "not a boolean", conf: "enablePrometheusMetrics: yes please\n", value: true, wantErr: `enablePrometheusMetrics is "yes please", not a boolean`},
		{name: "quoted string", conf: "enablePrometheusMetrics: \"true\"\n", value: true, wantErr: "not a boolean"},
		{name: "duplicate key", conf: "enablePrometheusMetrics: true\nenablePrometheusMetrics: false\n", value: true, wantErr: "already defined"},
		{name: "two documents", conf: "a: 1\n---\nb: 2\n", value: true, wantErr: "more than one YAML document"},
		{name: "flow mapping without the key", conf: "{a: 1}\n", value: true, wantErr: "flow mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, orig, err := Set(tt.conf, MetricsKey, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Set() error = %v, want ErrInvalid containing %q", err, tt.wantErr)
				}
				if got != tt.conf {
					t.Fatalf("Set() on error returned %q, want the input unchanged", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Set() =\n%q\nwant\n%q", got, tt.want)
			}
			if orig != tt.wantOrig {
				t.Errorf("Set() original = %+v, want %+v", orig, tt.wantOrig)
			}
			// Restore puts every byte back.
			restored, changed, err := Restore(got, MetricsKey, tt.value, orig)
			if err != nil {
				t.Fatalf("Restore() error = %v", err)
			}
			if restored != tt.conf {
				t.Errorf("Restore() =\n%q\nwant the original\n%q", restored, tt.conf)
			}
			if changed != (got != tt.conf) {
				t.Errorf("Restore() changed = %v, want %v", changed, got != tt.conf)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	tests := []struct {
		name string
		conf string
		def  bool
		want Setting
	}{
		{"present", "enablePrometheusMetrics: false\n", true, Setting{State: StatePresent, Value: false, Token: "false"}},
		{"absent takes default true", "a: 1\n", true, Setting{State: StateAbsent, Value: true}},
		{"absent takes default false", "a: 1\n", false, Setting{State: StateAbsent, Value: false}},
		{"commented takes default", "#enablePrometheusMetrics: false\n", true, Setting{State: StateCommented, Value: true, Line: "#enablePrometheusMetrics: false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inspect(tt.conf, MetricsKey, tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Inspect() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRestoreLeavesOthersEditsAlone(t *testing.T) {
	// Someone set the key back to false after the operator set it to true:
	// restoring must not overwrite their choice.
	conf := "a: 1\nenablePrometheusMetrics: false\n"
	got, changed, err := Restore(conf, MetricsKey, true, Setting{State: StateAbsent, Value: true})
	if err != nil {
		t.Fatal(err)
	}
	if changed || got != conf {
		t.Errorf("Restore() = %q, changed=%v; want the conf unchanged", got, changed)
	}
}
