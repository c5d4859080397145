/**
 * The Python expressions rl-baselines3-zoo writes as strings in its YAML files (which the zoo `eval`s):
 * `dict(log_std_init=-2, activation_fn=nn.ReLU, net_arch=dict(pi=[64], vf=[64]))` or
 * `{'norm_obs': True, 'norm_reward': False}`. Only literals are read — numbers, strings, True/False/None, lists,
 * tuples, `dict(...)`, `{...}` and dotted names such as `nn.ReLU` — never evaluated.
 */

/** A dotted name such as `nn.ReLU` (a class the zoo passes by reference). */
export class PythonName {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export type PythonValue =
  number | string | boolean | null | PythonName | PythonValue[] | { [key: string]: PythonValue };

/** Thrown with what was expected and where; the caller adds which key of which file. */
export class PythonLiteralError extends Error {}

export function parsePythonLiteral(source: string): PythonValue {
  const parser = new Parser(source);
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('the end of the expression');
  return value;
}

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  fail(expected: string): never {
    const found = this.atEnd() ? 'the end' : `'${this.text.slice(this.at, this.at + 12)}'`;
    throw new PythonLiteralError(`expected ${expected} at character ${this.at + 1}, found ${found}`);
  }

  private eat(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) this.fail(`'${token}'`);
  }

  value(): PythonValue {
    this.skipSpace();
    const c = this.text[this.at] ?? '';
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') return this.sequence('(', ')');
    if (c === '{') return this.dictLiteral();
    if (c === "'" || c === '"') return this.string();
    if (/[-+.\d]/.test(c)) return this.number();
    if (/[A-Za-z_]/.test(c)) return this.name();
    return this.fail('a value');
  }

  /** Comma-separated items up to `close` (a trailing comma allowed); `item` reads one. */
  private items(close: string, item: () => void): void {
    while (!this.eat(close)) {
      item();
      if (!this.eat(',')) {
        this.expect(close);
        return;
      }
    }
  }

  /** A list or a tuple (both become arrays). */
  private sequence(open: string, close: string): PythonValue[] {
    this.expect(open);
    const out: PythonValue[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private dictLiteral(): { [key: string]: PythonValue } {
    this.expect('{');
    const out: { [key: string]: PythonValue } = {};
    this.items('}', () => {
      this.skipSpace();
      const key = this.string();
      this.expect(':');
      out[key] = this.value();
    });
    return out;
  }

  /** `dict(key=value, …)`: keyword arguments only. */
  private dictCall(): { [key: string]: PythonValue } {
    this.expect('(');
    const out: { [key: string]: PythonValue } = {};
    this.items(')', () => {
      this.skipSpace();
      const key = /^[A-Za-z_]\w*/.exec(this.text.slice(this.at))?.[0];
      if (key === undefined) this.fail('a keyword argument (name=value)');
      this.at += key.length;
      this.expect('=');
      out[key] = this.value();
    });
    return out;
  }

  private string(): string {
    const quote = this.text[this.at];
    if (quote !== "'" && quote !== '"') this.fail('a quoted string');
    const end = this.text.indexOf(quote, this.at + 1);
    if (end < 0) this.fail(`a closing ${quote}`);
    const value = this.text.slice(this.at + 1, end);
    if (value.includes('\\')) this.fail('a string without escapes');
    this.at = end + 1;
    return value;
  }

  private number(): number {
    const match = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(this.text.slice(this.at));
    if (match === null) this.fail('a number');
    this.at += match[0].length;
    return Number(match[0]);
  }

  private name(): PythonValue {
    const match = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*/.exec(this.text.slice(this.at))!;
    const name = match[0];
    this.at += name.length;
    if (name === 'True') return true;
    if (name === 'False') return false;
    if (name === 'None') return null;
    this.skipSpace();
    if (this.text[this.at] === '(') {
      if (name === 'dict') return this.dictCall();
      throw new PythonLiteralError(`${name}(...) is code, not a literal (only dict(...) is read)`);
    }
    return new PythonName(name);
  }
}
