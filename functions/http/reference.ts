/**
 * `GET /docs`: the API reference rendered from the OpenAPI document on the server, with no script and no
 * asset from elsewhere (Tide serves on machines without internet access): every operation, the scope it
 * needs, its parameters and its request and answer schemas.
 */
type Json = Record<string, unknown>;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function scopeOf(operation: Json): string {
  const security = operation.security as Json[] | undefined;
  if (!security || security.length === 0) return 'none';
  return Object.values(security[0]!).flat().join(', ') || 'key';
}

/** HTML for the document. */
export function renderReference(document: Json): string {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  const sections: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const params = ((operation.parameters ?? []) as Json[])
        .map(
          (p) =>
            `<li><code>${escapeHtml(String(p.name))}</code> (${escapeHtml(String(p.in))})${p.required ? ' required' : ''}</li>`,
        )
        .join('');
      const body = (operation.requestBody as Json | undefined)?.content as Json | undefined;
      const bodySchema = body ? JSON.stringify(Object.values(body)[0], null, 2) : '';
      const responses = Object.entries((operation.responses ?? {}) as Record<string, Json>)
        .map(([status, r]) => `<li><b>${escapeHtml(status)}</b> ${escapeHtml(String(r.description ?? ''))}</li>`)
        .join('');
      sections.push(`<section id="${escapeHtml(`${method}-${path}`)}">
<h2><span class="m">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>
<p>${escapeHtml(String(operation.summary ?? ''))}</p>
<p>Scope: <b>${escapeHtml(scopeOf(operation))}</b></p>
${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ''}
${bodySchema ? `<details><summary>Request body schema</summary><pre>${escapeHtml(bodySchema.slice(0, 200_000))}</pre></details>` : ''}
<h3>Answers</h3><ul>${responses}</ul>
</section>`);
    }
  }
  const info = (document.info ?? {}) as Json;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(String(info.title ?? 'API'))}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5rem;color:#06c}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:30rem}</style></head>
<body><h1>${escapeHtml(String(info.title ?? 'API'))}</h1><p>${escapeHtml(String(info.description ?? ''))}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join('\n')}
</body></html>`;
}
