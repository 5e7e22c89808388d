// @ts-check
/**
 * ESLint rule `mlops/private-imports`: a `private/` folder is imported only from inside its parent
 * folder (DESIGN.md, Layout). `constructs/aws/private/security` may be imported by
 * `constructs/aws/model-endpoint.ts` or `constructs/aws/pipeline/steps.ts`, not by `stacks/` or `bin/`.
 * A test under `test/` is judged where it mirrors the tree (`test/constructs/aws/x.test.ts` stands
 * for `constructs/aws/`), so a construct's tests may test its private helpers.
 *
 * Plain CommonJS so that both eslint.config.mjs and the jest test load it as it is.
 */
const path = require('path');

/** The folder a file is judged from: its own, or for a test the folder it mirrors. */
function judgedFolder(filename, root) {
  const dir = path.dirname(filename);
  const relative = path.relative(root, dir);
  const parts = relative.split(path.sep);
  if (parts[0] === 'test') return path.join(root, ...parts.slice(1));
  return dir;
}

/** The parent of the innermost `private` folder on a path, or undefined when there is none. */
function privateParent(target) {
  const parts = target.split(path.sep);
  const at = parts.lastIndexOf('private');
  return at < 0 ? undefined : parts.slice(0, at).join(path.sep) || path.sep;
}

const isInside = (folder, parent) => folder === parent || folder.startsWith(parent + path.sep);

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'A private/ folder is imported only from inside its parent folder.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      outside: "'{{source}}' is inside {{privateFolder}}/, which only {{parent}}/ may import; import it through a public module, or move what both need to lib/.",
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = path.resolve(options.root ?? context.cwd);
    const filename = context.filename;
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.resolve(path.dirname(filename), source);
      const parent = privateParent(target);
      if (parent === undefined || isInside(judgedFolder(filename, root), parent)) return;
      context.report({
        node,
        messageId: 'outside',
        data: { source, privateFolder: path.relative(root, path.join(parent, 'private')), parent: path.relative(root, parent) || '.' },
      });
    };
    const fromSource = (node) => { if (node.source) check(node.source, node.source.value); };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => { if (node.source.type === 'Literal') check(node.source, node.source.value); },
      TSImportEqualsDeclaration: (node) => {
        if (node.moduleReference.type === 'TSExternalModuleReference') check(node.moduleReference, node.moduleReference.expression.value);
      },
      CallExpression: (node) => {
        const callee = node.callee;
        const isRequire = callee.type === 'Identifier' && callee.name === 'require';
        const isJestMock = callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'jest' && callee.property.type === 'Identifier' && ['mock', 'requireActual', 'doMock'].includes(callee.property.name);
        const first = node.arguments[0];
        if ((isRequire || isJestMock) && first && first.type === 'Literal') check(first, first.value);
      },
    };
  },
};

module.exports = { rules: { 'private-imports': rule } };
