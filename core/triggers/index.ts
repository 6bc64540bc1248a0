/** Trigger matching: which targets a signal is for (pure). */
export * from './match.ts';
