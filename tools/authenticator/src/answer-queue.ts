/**
 * The user's typed lines for `watch`, read ahead so the watch knows when input has ended: a
 * script that pipes "a 42" still gets its answer used, and Ctrl-D at an idle prompt ends the watch.
 */
export class AnswerQueue {
  private readonly lines: string[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly drainedListeners: (() => void)[] = [];

  constructor(input: AsyncIterator<string>) {
    void this.pump(input);
  }

  /** The next line, or null once input has ended. */
  async next(): Promise<string | null> {
    while (this.lines.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    const line = this.lines.shift() ?? null;
    this.checkDrained();
    return line;
  }

  /** Called once input has ended and every line has been taken. */
  onDrained(listener: () => void): void {
    this.drainedListeners.push(listener);
    this.checkDrained();
  }

  private async pump(input: AsyncIterator<string>): Promise<void> {
    try {
      for (let next = await input.next(); !next.done; next = await input.next()) this.push(next.value);
    } catch {
      // A broken stdin ends the input like EOF does.
    }
    this.ended = true;
    this.notify();
    this.checkDrained();
  }

  private push(line: string): void {
    this.lines.push(line);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private checkDrained(): void {
    if (!this.ended || this.lines.length > 0) return;
    for (const listener of this.drainedListeners.splice(0)) listener();
  }
}
