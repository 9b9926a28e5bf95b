/** What the model (or the plan's outcome) is told about a call a person refused or nobody answered. */
export function declinedText(call: {
  status: string;
  answeredByNote: string | null;
  approvalReason: string | null;
}): string {
  if (call.status === 'expired') return 'nobody approved this call in time; it was not made';
  const who = call.answeredByNote ? ` (${call.answeredByNote})` : '';
  const why = call.approvalReason ? `: ${call.approvalReason}` : '';
  return `a person${who} rejected this call; it was not made${why}`;
}
