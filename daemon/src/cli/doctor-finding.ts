// One line of `verbatim doctor`'s report: a check, its verdict, what it found and what to do.
export type Verdict = "ok" | "warning" | "problem";

export interface Finding {
  check: string;
  verdict: Verdict;
  detail: string;
  /** What to do, for a warning or a problem. */
  fix?: string;
}

export const ok = (check: string, detail: string): Finding => ({ check, verdict: "ok", detail });
export const warning = (check: string, detail: string, fix: string): Finding => ({
  check,
  verdict: "warning",
  detail,
  fix,
});
export const problem = (check: string, detail: string, fix: string): Finding => ({
  check,
  verdict: "problem",
  detail,
  fix,
});
