//go:build packaging

package packaging

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func objectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }

func formatSize(b []byte, objects int) string {
	return fmt.Sprintf("%d bytes, %d lines, %d objects", len(b), strings.Count(string(b), "\n"), objects)
}
