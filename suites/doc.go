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
// LOCALSTACK_AUTH_TOKEN and TERRATEST_IAM_ROLE; TestFleet's selection from
// CMK_ALL, CMK_KEYS_FILE, CMK_REGIONS, CMK_ACCOUNTS_FILE, CMK_ORGANIZATION,
// CMK_ROLE_ARN_TEMPLATE, CMK_PLATFORM_KEYS_ONLY and CMK_PARALLEL. TestFleet
// gives each key of a fleet a subtest, and each of its requirements one;
// BenchmarkFleet measures fleets of 10 to 5,000 keys. The suites are an edge:
// they read these (through internal/env) and pass values down.
package suites
