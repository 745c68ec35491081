// Whether a local finishing endpoint answers, and lists the model a mode names (verbatim doctor): GET
// {endpoint}/models, as OpenAI-compatible servers (Ollama, LM Studio, llama.cpp's server) list theirs. No text is sent.

/** What is wrong with the endpoint for this model (null: it answers and lists it); waits at most `timeoutMs`. */
export async function endpointProblem(endpoint: string, modelName: string, timeoutMs: number): Promise<string | null> {
  const url = `${endpoint.replace(/\/+$/, "")}/models`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return `${url} does not answer (${cause}): start the local model's server (for Ollama: ollama serve)`;
  }
  if (!response.ok) return `${url} answered ${response.status}: is it an OpenAI-compatible API (…/v1)?`;
  let ids: string[];
  try {
    const listed = (await response.json()) as { data?: { id?: unknown }[] };
    ids = (listed.data ?? []).map((model) => String(model.id));
  } catch {
    return `${url} did not answer with a list of models: is it an OpenAI-compatible API (…/v1)?`;
  }
  // Ollama lists a model pulled without a tag as NAME:latest.
  if (ids.some((id) => id === modelName || id === `${modelName}:latest`)) return null;
  return (
    `${url} does not list ${modelName} (it lists ${ids.join(", ") || "none"}): download it (ollama pull ` +
    `${modelName}), or name one it has (verbatim modes edit NAME --model-name MODEL)`
  );
}
