// Package policy parses KMS key policies and answers one question, as AWS
// answers it from the key policy and the key's grants: may this principal
// perform this action on this key? (REQUIREMENTS.md, "Access model".)
//
// Build a Model with NewModel(doc, keyARN, grants, opts...), list the
// principals to ask about with Model.Principals, and ask with Model.Decide.
// A model reads its statements and grants once, when it is built, and
// keeps each answer: the checks ask about a thousand questions a key, many
// of them more than once. It is safe for concurrent use.
// A Decision is ALLOWED, NOT ALLOWED or CONDITIONAL (some requests may be
// allowed, depending on request properties no policy text settles), with
// the statements (by index, never by Sid) and grants that decided it, the
// keys left open, whether only the own account's root statement reaches the
// principal (IAMDecides: its IAM policies decide) and whether the
// cross-account rule removed it. Decision.Risks and Decision.Grants are the
// two readings the checks use; no check reads policy text itself.
//
// Conditions are evaluated in three values. Keys that are properties of the
// principal asked about are resolved for it; request properties stay
// unknown. Where AWS's documentation is silent or contradicts itself the
// model picks the reading that cannot hide a holder, and says so in a
// comment beside the code:
//
//   - a statement with neither Resource nor NotResource has no effect;
//   - the own account's root (ARN or bare ID) in an Allow is the IAM
//     delegation for every own-account identity, the root user included;
//   - a role names its sessions; asked about a role, a statement naming one
//     of its sessions gives CONDITIONAL (the caller of AssumeRole chooses
//     the session name);
//   - NotPrincipal exempts an identity only when each link of its chain is
//     listed: the account, the role, the session;
//   - a session's aws:PrincipalArn is its role's ARN; the session ARN hides
//     the role's path, which is taken only from a role an Allow names (KMS
//     accepts existing principals only) or from WhoRoleSession;
//   - an anonymous caller's aws:PrincipalAccount is "absent or unnamed"
//     (the IAM documentation has said both); its aws:PrincipalArn absent;
//   - service principals: account, ARN and organisation keys unknown, and
//     aws:Source* unknown (the resource owner is not known); other
//     principals: aws:Source* absent;
//   - an identity of an account the policy names nowhere never has an
//     aws:PrincipalArn in an account an ARN pattern fixes (the ARN operators
//     compare the account field on its own; StringLike only behind a
//     prefix without wildcards), so negated operators hold for it;
//   - kms:EncryptionContext keys are absent, and grant constraints not
//     applied, for operations whose requests carry no encryption context;
//   - principals, operators, values or variables the model cannot read make
//     the answer CONDITIONAL, never a silent NOT ALLOWED.
//
// The IAM side (iam.go): DecideEffective combines the key policy, the
// grants and an own-account identity's IAM policies and permissions
// boundary as AWS does for a request within one account; its Grants and
// Risks are the same two readings. Trust (trust.go) reads a role's trust
// policy with the same statement rules and answers who may assume the role.
// Uses and UsesEffective say whether a principal is a user of the key
// (any of UseActions by the risk-side rule).
//
// Model.Public is the one definition of a public key (CMK-USR-3), and the
// readings the checks share live here too (readings.go), so that no check
// interprets statements, principals or grants itself.
package policy
