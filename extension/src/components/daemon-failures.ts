// How views report a failed daemon request: setup problems get their own screen (the view renders SetupView), every
// other failure a toast saying what failed.
import { showFailureToast } from "@raycast/utils";
import { setupProblemOf } from "../lib/daemon-setup";

/** An onError for usePromise/useCachedPromise: a toast titled `title`, unless the failure is a setup problem. */
export const toastUnlessSetup = (title: string) => (error: Error) => {
  if (!setupProblemOf(error)) void showFailureToast(error, { title });
};
