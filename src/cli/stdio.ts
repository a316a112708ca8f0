// Where the command's text goes: file descriptors 1 and 2.
//
// Writing to a pipe or a file takes fs.writeSync: the first touch of `process.stdout` or `process.stderr`
// on a pipe builds a stream and loads Node's net and stream modules, about 4 ms of a command that takes
// 65, and a synchronous write is also never cut short by process.exit. A terminal (any character device)
// keeps the stream (its width, its colours; nobody times a person). A non-blocking pipe that is full
// (EAGAIN) hands the rest to the stream, which waits for the reader; a closed descriptor (EBADF) drops
// the text, as Node's own stdout does.
import { fstatSync, writeSync } from "node:fs";

type Fd = 1 | 2;

/**
 * Whether `fd` is a character device (a terminal, or the like of /dev/null): those keep the stream.
 * Not `tty.isatty`: loading node:tty loads node:net, the cost this module avoids.
 */
function isCharacterDevice(fd: Fd): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/** A terminal's stream, or undefined: decided without building a stream for a pipe or a file. */
function terminal(fd: Fd): NodeJS.WriteStream | undefined {
  if (!isCharacterDevice(fd)) return undefined;
  const target = fd === 1 ? process.stdout : process.stderr;
  return target.isTTY ? target : undefined;
}

const viaStream: Record<Fd, boolean | undefined> = { 1: undefined, 2: undefined };

function stream(fd: Fd): NodeJS.WriteStream {
  const target = fd === 1 ? process.stdout : process.stderr;
  if (fd === 1 && target.listenerCount("error") === 0) {
    // `piccolo … | head` closes the pipe early: that ends the command quietly, not with a stack trace.
    target.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
    });
  }
  return target;
}

/** Writes all of `text` to `fd`, straight to the descriptor unless it is a terminal (or a full pipe). */
export function writeText(fd: Fd, text: string): void {
  viaStream[fd] ??= isCharacterDevice(fd);
  if (viaStream[fd]) {
    stream(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EPIPE") process.exit(0); // the reader has gone: nothing left to say
    if (code === "EBADF") return;
    if (code !== "EAGAIN") throw error;
    viaStream[fd] = true;
    stream(fd).write(bytes.subarray(offset));
  }
}

// commander wraps help at 80 columns when it is given no width, as it does for a pipe itself.
const NO_TERMINAL_WIDTH = undefined as unknown as number;

/** commander's output settings to match: the same writes, and a terminal's width only for a terminal. */
export const commanderOutput = {
  writeOut: (text: string) => writeText(1, text),
  writeErr: (text: string) => writeText(2, text),
  getOutHelpWidth: () => terminal(1)?.columns ?? NO_TERMINAL_WIDTH,
  getErrHelpWidth: () => terminal(2)?.columns ?? NO_TERMINAL_WIDTH,
  getOutHasColors: () => terminal(1)?.hasColors?.() ?? false,
  getErrHasColors: () => terminal(2)?.hasColors?.() ?? false,
};
