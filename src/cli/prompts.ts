// Questions for the person at the keyboard, or answers read line by line from a pipe.
//
// On a terminal: plain questions through readline, passwords through @inquirer/password with nothing
// echoed. When standard input is not a terminal, every question (passwords included) takes the next
// line of standard input, and the end of input is an error rather than a wait: a script never hangs.
// Questions are written to stderr, so stdout carries only results (and stays valid JSON with --json).
import { booleanFromWord } from "../user/validation.js";
import { CancelledError, note } from "./output.js";
import { InputEndedError, PipedAnswerRefusedError } from "../errors.js";

export { PipedAnswerRefusedError, InputEndedError } from "../errors.js";

/** Reads standard input one line at a time (`\n` or `\r\n`); `null` once it has ended. */
class LineReader {
  private readonly lines: string[] = [];
  private readonly waiting: ((line: string | null) => void)[] = [];
  private partial = "";
  private ended = false;
  private started = false;

  constructor(private readonly input: NodeJS.ReadStream) {}

  next(): Promise<string | null> {
    this.start();
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    if (!this.started) return;
    this.input.removeAllListeners("data");
    this.input.pause();
    this.input.destroy();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.setEncoding("utf8");
    this.input.on("data", (chunk: string) => {
      const parts = (this.partial + chunk).split("\n");
      this.partial = parts.pop() ?? "";
      for (const part of parts) this.push(part.endsWith("\r") ? part.slice(0, -1) : part);
    });
    const end = () => {
      if (this.ended) return;
      if (this.partial !== "") this.push(this.partial.endsWith("\r") ? this.partial.slice(0, -1) : this.partial);
      this.partial = "";
      this.ended = true;
      for (const resolve of this.waiting.splice(0)) resolve(null);
    };
    this.input.on("end", end);
    this.input.on("close", end);
    this.input.on("error", end);
    this.input.resume();
  }

  private push(line: string): void {
    const resolve = this.waiting.shift();
    if (resolve) resolve(line);
    else this.lines.push(line);
  }
}

export interface Prompter {
  /** True when answers are typed on a terminal (hidden password input), false when read from a pipe. */
  readonly interactive: boolean;
  /** A line of text; an empty answer takes `defaultValue` when there is one. */
  text(question: string, defaultValue?: string): Promise<string>;
  /** A password: hidden on a terminal. */
  password(question: string): Promise<string>;
  /**
   * Piccolo's y/n question, answered with any word a boolean flag takes (y/n, yes/no, t/f, true/false,
   * 1/0). Anything else prints `Unrecognised option` and asks again on a terminal; from a pipe it ends
   * the command (PipedAnswerRefusedError).
   */
  yesNo(question: string): Promise<boolean>;
  /** A [y/N] confirmation: only y/yes is yes (an empty or any other answer is no). */
  confirm(question: string): Promise<boolean>;
  /** The next raw line of standard input (for --password-stdin), or null at its end. */
  readStdinLine(): Promise<string | null>;
  close(): void;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === "AbortError" || name === "ExitPromptError" || name === "AbortPromptError";
}

/** The questions built on `text`, the same whether answers are typed or piped. */
abstract class LinePrompter implements Prompter {
  abstract readonly interactive: boolean;
  constructor(protected readonly reader: LineReader) {}

  abstract text(question: string, defaultValue?: string): Promise<string>;
  abstract password(question: string): Promise<string>;

  async yesNo(question: string): Promise<boolean> {
    for (;;) {
      const answer = await this.text(question);
      const value = booleanFromWord(answer);
      if (value !== undefined) return value;
      if (!this.interactive) {
        throw new PipedAnswerRefusedError(question, `${JSON.stringify(answer)} is not y or n (nor yes/no, t/f, true/false, 1/0).`);
      }
      note("Unrecognised option");
    }
  }

  async confirm(question: string): Promise<boolean> {
    const answer = (await this.text(question)).trim().toLowerCase();
    return answer === "y" || answer === "yes";
  }

  readStdinLine(): Promise<string | null> {
    return this.reader.next();
  }

  close(): void {
    this.reader.close();
  }
}

class PipedPrompter extends LinePrompter {
  readonly interactive = false;

  async text(question: string, defaultValue?: string): Promise<string> {
    note(question);
    const line = await this.reader.next();
    if (line === null) throw new InputEndedError(question);
    return line === "" && defaultValue !== undefined ? defaultValue : line;
  }

  password(question: string): Promise<string> {
    // Never echoed: the answer is not written anywhere.
    return this.text(question);
  }
}

class TerminalPrompter extends LinePrompter {
  readonly interactive = true;

  async text(question: string, defaultValue?: string): Promise<string> {
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const abort = new AbortController();
    const onClose = () => abort.abort(); // Ctrl-D
    rl.on("SIGINT", () => abort.abort());
    rl.on("close", onClose);
    try {
      const answer = await rl.question(`${question} `, { signal: abort.signal });
      return answer === "" && defaultValue !== undefined ? defaultValue : answer;
    } catch (error) {
      if (isAbort(error)) {
        process.stderr.write("\n");
        throw new CancelledError();
      }
      throw error;
    } finally {
      rl.off("close", onClose);
      rl.close();
    }
  }

  async password(question: string): Promise<string> {
    const { default: password } = await import("@inquirer/password");
    try {
      // Inquirer draws `<prefix> <message> [input is masked]`. Its prefix (an icon by default) carries
      // the question's first word, so the line reads exactly like Piccolo's `Enter password:`.
      const space = question.indexOf(" ");
      const first = space > 0 ? question.slice(0, space) : question;
      const rest = space > 0 ? question.slice(space + 1) : "";
      return await password(
        { message: rest, mask: false, theme: { prefix: { idle: first, done: first }, style: { message: (text: string) => text } } },
        { input: process.stdin, output: process.stderr },
      );
    } catch (error) {
      if (isAbort(error)) throw new CancelledError();
      throw error;
    }
  }
}

let shared: Prompter | undefined;

/** The prompter for this process: terminal questions when stdin is a TTY, piped lines otherwise. */
export function prompter(): Prompter {
  if (!shared) {
    const reader = new LineReader(process.stdin);
    shared = process.stdin.isTTY ? new TerminalPrompter(reader) : new PipedPrompter(reader);
  }
  return shared;
}

/** Releases standard input so the process can end. */
export function closePrompter(): void {
  shared?.close();
  shared = undefined;
}
