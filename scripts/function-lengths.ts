/**
 * Lists the functions, methods and constructors longer than a limit in the given folders, longest first,
 * counted as ESLint's `max-lines-per-function` counts them with `skipBlankLines` and `skipComments`.
 *
 *   npx tsx scripts/function-lengths.ts [--min 150] [folders...]   (default: bin stacks constructs lib)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export interface FunctionLength {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const parentClass = ts.isClassLike(node.parent) ? `${node.parent.name?.text ?? '(class)'}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${parentClass}constructor`;
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node)) && node.name) {
    return `${parentClass}${node.name.getText(source)}`;
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return `${parentClass}${parent.name.getText(source)}`;
  }
  return '(anonymous)';
}

/** Lines of code in [start, end] that are neither blank nor only comment, as ESLint counts them. */
function codeLines(text: string, start: number, end: number): number {
  const source = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, false);
  const commentLines = new Set<number>();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const codeLinesSet = new Set<number>();
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    const from = source.getLineAndCharacterOfPosition(scanner.getTokenStart()).line;
    const to = source.getLineAndCharacterOfPosition(scanner.getTokenEnd()).line;
    if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) {
      for (let l = from; l <= to; l++) commentLines.add(l);
    } else if (token !== ts.SyntaxKind.WhitespaceTrivia && token !== ts.SyntaxKind.NewLineTrivia) {
      for (let l = from; l <= to; l++) codeLinesSet.add(l);
    }
  }
  let count = 0;
  for (let l = start; l <= end; l++) if (codeLinesSet.has(l)) count++;
  return count;
}

export function functionLengths(files: readonly string[], min: number): FunctionLength[] {
  const found: FunctionLength[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = codeLines(text, start, end);
        if (lines > min) found.push({ file, name: nameOf(node, source), line: start + 1, lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort((a, b) => b.lines - a.lines);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const minAt = args.indexOf('--min');
  const min = minAt >= 0 ? Number(args.splice(minAt, 2)[1]) : 150;
  const folders = args.length > 0 ? args : ['bin', 'stacks', 'constructs', 'lib'];
  const rows = functionLengths(folders.flatMap(tsFiles), min);
  for (const row of rows) console.log(`${String(row.lines).padStart(4)}  ${row.file}:${row.line}  ${row.name}`);
  console.log(`${rows.length} function(s) longer than ${min} lines in ${folders.join(', ')}`);
}
