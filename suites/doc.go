// Package suites holds the go test suites: TestAudit (one subtest per
// requirement ID, reports written once), TestSelfTest (every deliberately
// wrong key is caught, and only by the checks that should catch it), the
// terratest-style staged provisioning test, and the gather+evaluate
// benchmark. `go test ./suites/...` alone yields the reports.
//
// Environment: CMK_TARGET (embedded, localstack, aws), CMK_PROFILE (profile
// file), CMK_KEY_ID (the key to inspect), CMK_PROVISION (1: allow creating
// keys on aws), CMK_REPORT_DIR (default <repo>/out), GITHUB_STEP_SUMMARY,
// SKIP_setup and SKIP_teardown (terratest stages), and the targets'
// AWS_REGION, LOCALSTACK_ENDPOINT / AWS_ENDPOINT_URL, LOCALSTACK_IMAGE,
// LOCALSTACK_AUTH_TOKEN and TERRATEST_IAM_ROLE. The suites are an edge:
// they read these (through internal/edge) and pass values down.
package suites
