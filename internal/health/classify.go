package health

import "strings"

// ErrorClass is what kind of failure a scrape error is, so a status can say
// "37 agents: token expired" instead of repeating one raw error.
type ErrorClass string

// The classes, each with the lastError Prometheus 3.16 writes for it
// (observed by TestClassifyRealPrometheus; host and port vary).
const (
	// ClassUnauthorized is HTTP 401: the bearer token is invalid or expired.
	// "server returned HTTP status 401 Unauthorized"
	ClassUnauthorized ErrorClass = "Unauthorized"
	// ClassForbidden is HTTP 403: the token is valid but may not read /metrics.
	// "server returned HTTP status 403 Forbidden"
	ClassForbidden ErrorClass = "Forbidden"
	// ClassNotFound is HTTP 404: the metrics endpoint is off.
	// "server returned HTTP status 404 Not Found"
	ClassNotFound ErrorClass = "NotFound"
	// ClassTLSName is a certificate that does not name the address or
	// server_name scraped. `Get "https://127.0.0.1:port/metrics": tls:
	// failed to verify certificate: x509: certificate is valid for
	// example.com, not antrea.invalid`
	ClassTLSName ErrorClass = "TLSName"
	// ClassTLSAuthority is a certificate that does not verify against the CA:
	// `Get "https://127.0.0.1:port/metrics": tls: failed to verify
	// certificate: x509: certificate signed by unknown authority`.
	ClassTLSAuthority ErrorClass = "TLSAuthority"
	// ClassRefused is nothing listening on the port:
	// `Get "http://127.0.0.1:port/metrics": dial tcp 127.0.0.1:port:
	// connect: connection refused`.
	ClassRefused ErrorClass = "Refused"
	// ClassTimeout is a scrape that outlived scrape_timeout:
	// `Get "http://127.0.0.1:port/metrics": context deadline exceeded`.
	ClassTimeout ErrorClass = "Timeout"
	// ClassOther is every other error.
	ClassOther ErrorClass = "Other"
)

// httpStatusPrefix starts the error Prometheus writes for a non-2xx answer.
const httpStatusPrefix = "server returned HTTP status "

// httpClasses are the classes of the HTTP status codes that have one.
var httpClasses = map[string]ErrorClass{"401": ClassUnauthorized, "403": ClassForbidden, "404": ClassNotFound}

// textRules are checked in order: the name rule comes before the authority
// rule because Go prefixes both with "tls: failed to verify certificate".
var textRules = []struct {
	class ErrorClass
	any   []string
}{
	{ClassTLSName, []string{
		"x509: certificate is valid for ",              // x509.HostnameError: names or IPs that differ
		"x509: certificate is not valid for any names", // no SAN at all
		"because it doesn't contain any IP SANs",       // an IP scraped, DNS SANs only
	}},
	{ClassTLSAuthority, []string{
		"x509: certificate signed by unknown authority",
		"tls: failed to verify certificate", // expired, wrong usage, ...: the chain did not verify
	}},
	{ClassRefused, []string{"connect: connection refused"}},
	{ClassTimeout, []string{"context deadline exceeded", "Client.Timeout exceeded", "i/o timeout"}},
}

// Classify tells what kind of failure a target's lastError is. The empty
// string and anything unrecognised are ClassOther.
func Classify(lastError string) ErrorClass {
	if i := strings.Index(lastError, httpStatusPrefix); i >= 0 {
		code, _, _ := strings.Cut(lastError[i+len(httpStatusPrefix):], " ")
		if c, ok := httpClasses[code]; ok {
			return c
		}
		return ClassOther
	}
	for _, r := range textRules {
		for _, s := range r.any {
			if strings.Contains(lastError, s) {
				return r.class
			}
		}
	}
	return ClassOther
}
