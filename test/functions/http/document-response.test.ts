import { describe, expect, it } from 'vitest';
import { documentResponse } from '../../../functions/http/document-response.ts';

describe('documentResponse', () => {
  it("answers 200 with the document's JSON, application/json and its version as a strong ETag", async () => {
    const response = documentResponse({ value: { id: 'llm', minCapacity: 1 }, version: 7 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('etag')).toBe('"7"');
    expect(await response.json()).toEqual({ id: 'llm', minCapacity: 1 });
  });

  it('answers the same JSON for the same document read twice, and the new JSON for a new version', async () => {
    const first = { value: { minCapacity: 1 }, version: 1 };
    expect(await documentResponse(first).text()).toBe('{"minCapacity":1}');
    expect(await documentResponse(first).text()).toBe('{"minCapacity":1}');
    const second = { value: { minCapacity: 2 }, version: 2 };
    const answer = documentResponse(second);
    expect(await answer.text()).toBe('{"minCapacity":2}');
    expect(answer.headers.get('etag')).toBe('"2"');
  });
});
