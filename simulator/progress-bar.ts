/**
 * A one-line progress bar for long runs on a terminal (written here rather than adding a dependency):
 * `[#########-----------]  45 %  hpa (3/6)`, redrawn in place with a carriage return. Off a terminal it
 * writes nothing, so piped output and `--json` stay clean.
 */
export class ProgressBar {
  private lastDrawn = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    private readonly width = 30,
  ) {}

  /** Draw `fraction` (0-1) done with a label. */
  update(fraction: number, label: string): void {
    if (!this.enabled) return;
    const clamped = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(clamped * this.width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${String(Math.round(clamped * 100)).padStart(3)} %  ${label}`;
    if (line === this.lastDrawn) return;
    this.lastDrawn = line;
    this.write(`\r${line.padEnd(70)}`);
  }

  /** Clear the line. */
  done(): void {
    if (!this.enabled || this.lastDrawn === '') return;
    this.write(`\r${' '.repeat(70)}\r`);
    this.lastDrawn = '';
  }
}
