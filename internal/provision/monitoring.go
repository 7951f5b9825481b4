package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// WatchedCalls are the KMS calls a team is alerted to: each can make the
// platform's data inaccessible (CMK-MON-1).
var WatchedCalls = []string{"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"}

// WatchSpec says how to watch a key. The zero value is what a team sets
// up: an EventBridge rule on the default bus for WatchedCalls on this key,
// with an SNS topic as its target.
type WatchSpec struct {
	// Calls the rule matches; nil means WatchedCalls.
	Calls []string
	// NoTarget leaves the rule without a target (a self-test variant).
	NoTarget bool
}

// Watch is the monitoring made for a key.
type Watch struct {
	Rule     string // the EventBridge rule's name ("" when none)
	TopicArn string // the SNS topic ("" when none)
	// A CloudWatch Logs metric filter and its alarm, when made instead.
	LogGroup, MetricFilter, Alarm string
}

// WatchPattern is the event pattern of the rule a team makes for a key:
// CloudTrail's record of the calls, on this key only.
func WatchPattern(keyARN string, calls []string) string {
	b, _ := json.Marshal(map[string]any{ // maps and strings: cannot fail
		"source":      []string{"aws.kms"},
		"detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []string{"kms.amazonaws.com"},
			"eventName":   calls,
			"resources":   map[string]any{"ARN": []string{keyARN}},
		},
	})
	return string(b)
}

// CreateWatchE makes an SNS topic and an EventBridge rule that sends it the
// key's WatchedCalls. Whatever was made before an error is deleted again.
func CreateWatchE(ctx context.Context, cfg aws.Config, key *Key, spec WatchSpec) (_ *Watch, err error) {
	if key == nil || key.Arn == "" {
		return nil, errors.New("provision: watch: no key")
	}
	calls := spec.Calls
	if calls == nil {
		calls = WatchedCalls
	}
	suffix, err := randomSuffix()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	w := &Watch{}
	defer func() {
		if err != nil {
			err = errors.Join(err, DeleteWatchE(context.WithoutCancel(ctx), cfg, w))
		}
	}()
	if !spec.NoTarget {
		topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cmk-alerts-" + suffix)})
		if err != nil {
			return nil, fmt.Errorf("provision: sns:CreateTopic: %w", err)
		}
		w.TopicArn = aws.ToString(topic.TopicArn)
	}
	ev := eventbridge.NewFromConfig(cfg)
	name := "cmk-watch-" + suffix
	if _, err := ev.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(name), EventPattern: aws.String(WatchPattern(key.Arn, calls)), State: ebtypes.RuleStateEnabled,
		Description: aws.String("Alert on DisableKey, ScheduleKeyDeletion and PutKeyPolicy of " + key.Arn),
	}); err != nil {
		return nil, fmt.Errorf("provision: events:PutRule: %w", err)
	}
	w.Rule = name
	if w.TopicArn != "" {
		out, err := ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name),
			Targets: []ebtypes.Target{{Id: aws.String("alert"), Arn: aws.String(w.TopicArn)}}})
		if err == nil && out.FailedEntryCount > 0 {
			err = fmt.Errorf("%d target(s) failed", out.FailedEntryCount)
		}
		if err != nil {
			return nil, fmt.Errorf("provision: events:PutTargets: %w", err)
		}
	}
	return w, nil
}

// LogAlarmSpec says how to watch a key through CloudTrail's log group: a
// metric filter with Pattern and, unless NoAlarm, an alarm on its metric
// whose action notifies an SNS topic.
type LogAlarmSpec struct {
	Pattern string // "" means the CIS control's pattern for the key's calls
	NoAlarm bool
}

// CreateLogAlarmE makes a log group, a metric filter on it and an alarm
// with an SNS action. Whatever was made before an error is deleted again.
func CreateLogAlarmE(ctx context.Context, cfg aws.Config, key *Key, spec LogAlarmSpec) (_ *Watch, err error) {
	if key == nil || key.Arn == "" {
		return nil, errors.New("provision: log alarm: no key")
	}
	pattern := spec.Pattern
	if pattern == "" {
		pattern = fmt.Sprintf(`{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion) || ($.eventName = PutKeyPolicy)) && ($.resources[0].ARN = "%s") }`, key.Arn)
	}
	suffix, err := randomSuffix()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	w := &Watch{}
	defer func() {
		if err != nil {
			err = errors.Join(err, DeleteWatchE(context.WithoutCancel(ctx), cfg, w))
		}
	}()
	logs := cloudwatchlogs.NewFromConfig(cfg)
	group := "cmk-cloudtrail-" + suffix
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		return nil, fmt.Errorf("provision: logs:CreateLogGroup: %w", err)
	}
	w.LogGroup = group
	metric, namespace := "KMSKeyChanges-"+suffix, "CMKCheck"
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(group), FilterName: aws.String("cmk-changes-" + suffix), FilterPattern: aws.String(pattern),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String(metric), MetricNamespace: aws.String(namespace), MetricValue: aws.String("1")}},
	}); err != nil {
		return nil, fmt.Errorf("provision: logs:PutMetricFilter: %w", err)
	}
	w.MetricFilter = "cmk-changes-" + suffix
	if spec.NoAlarm {
		return w, nil
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cmk-alerts-" + suffix)})
	if err != nil {
		return nil, fmt.Errorf("provision: sns:CreateTopic: %w", err)
	}
	w.TopicArn = aws.ToString(topic.TopicArn)
	if _, err := cloudwatch.NewFromConfig(cfg).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("cmk-changes-" + suffix), MetricName: aws.String(metric), Namespace: aws.String(namespace),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{w.TopicArn},
	}); err != nil {
		return nil, fmt.Errorf("provision: cloudwatch:PutMetricAlarm: %w", err)
	}
	w.Alarm = "cmk-changes-" + suffix
	return w, nil
}

// DeleteWatchE deletes what CreateWatchE or CreateLogAlarmE made; what is
// already gone is no error.
func DeleteWatchE(ctx context.Context, cfg aws.Config, w *Watch) error {
	if w == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var errs []error
	gone := func(err error) bool {
		return err == nil || isCode(err, "ResourceNotFoundException") || isCode(err, "NotFound")
	}
	if w.Rule != "" {
		ev := eventbridge.NewFromConfig(cfg)
		if w.TopicArn != "" {
			if _, err := ev.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(w.Rule), Ids: []string{"alert"}}); !gone(err) {
				errs = append(errs, fmt.Errorf("events:RemoveTargets %s: %w", w.Rule, err))
			}
		}
		if _, err := ev.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(w.Rule)}); !gone(err) {
			errs = append(errs, fmt.Errorf("events:DeleteRule %s: %w", w.Rule, err))
		}
	}
	if w.Alarm != "" {
		if _, err := cloudwatch.NewFromConfig(cfg).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{w.Alarm}}); !gone(err) {
			errs = append(errs, fmt.Errorf("cloudwatch:DeleteAlarms %s: %w", w.Alarm, err))
		}
	}
	if w.LogGroup != "" {
		// Deleting the group deletes its metric filters.
		if _, err := cloudwatchlogs.NewFromConfig(cfg).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(w.LogGroup)}); !gone(err) {
			errs = append(errs, fmt.Errorf("logs:DeleteLogGroup %s: %w", w.LogGroup, err))
		}
	}
	if w.TopicArn != "" {
		if _, err := sns.NewFromConfig(cfg).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(w.TopicArn)}); !gone(err) {
			errs = append(errs, fmt.Errorf("sns:DeleteTopic %s: %w", w.TopicArn, err))
		}
	}
	return errors.Join(errs...)
}

func randomSuffix() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("provision: no random name: %w", err)
	}
	return hex.EncodeToString(b), nil
}
