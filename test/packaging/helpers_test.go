package packaging

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func objectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }

func formatSize(b []byte) string {
	return fmt.Sprintf("%d bytes, %d lines, %d objects", len(b), strings.Count(string(b), "\n"), strings.Count(string(b), "\nkind: ")+boolInt(strings.HasPrefix(string(b), "kind: ")))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
