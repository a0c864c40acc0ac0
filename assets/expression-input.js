/**
 * expressionInput: a CodeMirror 6 editor that looks and behaves like a Django admin text
 * input, with a completion list ("insert dynamic data") whose options the caller supplies.
 *
 * Why a wrapper: the workflow editor needs a handful of behaviours (one line by default,
 * Tab leaves the field, admin look in light and dark mode, a value to read and write) and
 * should not have to know CodeMirror's extension system to get them. `view` is still
 * returned for anything this API does not cover.
 *
 * See assets/README.md for the API, styling and keyboard behaviour.
 */
import { Annotation, EditorState } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  MatchDecorator,
  ViewPlugin,
  keymap,
  placeholder as placeholderText,
} from "@codemirror/view";
import {
  autocompletion,
  closeCompletion,
  completionKeymap,
  startCompletion,
} from "@codemirror/autocomplete";
import { history, historyKeymap, standardKeymap } from "@codemirror/commands";

/** Marks the transactions of setValue(): they are not the user's edits, so no onChange. */
const programmatic = Annotation.define();

/** One line: every line break that an edit (typing, paste, drop, insert()) would add
 * becomes a space, so the value never holds a newline. A break and a space have the same
 * length in the document, so the selection needs no mapping. */
const singleLine = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.newDoc.lines === 1) return tr;
  const changes = [];
  for (let n = 2; n <= tr.newDoc.lines; n++) {
    const at = tr.newDoc.line(n).from - 1;
    changes.push({ from: at, to: at + 1, insert: " " });
  }
  return [tr, { changes, sequential: true }];
});

/** Enter (plain, Shift, Mod) does nothing on one line, and the key is consumed so it
 * neither adds a line nor reaches a form. It sits below the completion keymap, so Enter
 * still picks the highlighted option when the list is open. */
const swallowEnter = keymap.of(
  ["Enter", "Shift-Enter", "Mod-Enter"].map((key) => ({ key, run: () => true })),
);

/** Dynamic parts ({{ expression }}) stand out from the text around them, as Bubble shows
 * its dynamic data: the part is marked `bel-dynamic`, its braces `bel-brace` (drawn faint
 * by editor-libs.css), so a builder reads "Order #[params.order.id] confirmed". */
const dynamicParts = new MatchDecorator({
  regexp: /\{\{[\s\S]*?\}\}/g,
  decorate: (add, from, to) => {
    add(from, to, Decoration.mark({ class: "bel-dynamic" }));
    add(from, from + 2, Decoration.mark({ class: "bel-brace" }));
    add(to - 2, to, Decoration.mark({ class: "bel-brace" }));
  },
});
const highlightDynamicParts = ViewPlugin.fromClass(
  class {
    constructor(view) {
      this.decorations = dynamicParts.createDeco(view);
    }
    update(update) {
      this.decorations = dynamicParts.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

/** The look of a Django admin text input. Every colour and size is a CSS variable, set by
 * editor-libs.css from the admin's own variables (so light and dark mode follow the
 * admin) and overridable by the page; the second value of each var() is the light default
 * used when editor-libs.css is not loaded. */
const theme = EditorView.theme({
  "&": {
    color: "var(--bel-fg, #333)",
    backgroundColor: "var(--bel-bg, #fff)",
    border: "1px solid var(--bel-border, #ccc)",
    borderRadius: "var(--bel-radius, 4px)",
    fontSize: "var(--bel-font-size, 13px)",
    fontFamily: "var(--bel-font-family, inherit)",
  },
  "&.cm-focused": {
    outline: "none",
    borderColor: "var(--bel-focus-border, #666)",
    boxShadow: "var(--bel-focus-ring, none)",
  },
  ".cm-scroller": { fontFamily: "inherit", lineHeight: "var(--bel-line-height, 1.2)" },
  ".cm-content": { padding: "var(--bel-padding, 5px 6px)", caretColor: "var(--bel-fg, #333)" },
  ".cm-line": { padding: "0" },
  "&.bel-multiline .cm-content": { minHeight: "var(--bel-min-lines-height, 4.2em)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--bel-fg, #333)" },
  ".cm-placeholder": { color: "var(--bel-placeholder, #999)" },
  ".cm-tooltip": {
    color: "var(--bel-fg, #333)",
    backgroundColor: "var(--bel-bg, #fff)",
    border: "1px solid var(--bel-border, #ccc)",
    borderRadius: "var(--bel-radius, 4px)",
    fontSize: "var(--bel-font-size, 13px)",
  },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": {
    fontFamily: "inherit",
    maxHeight: "var(--bel-list-max-height, 16em)",
  },
  ".cm-tooltip.cm-tooltip-autocomplete > ul > li": { padding: "3px 8px" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": {
    color: "var(--bel-selected-fg, #fff)",
    backgroundColor: "var(--bel-selected-bg, #417690)",
  },
  ".cm-completionDetail": { color: "var(--bel-quiet, #666)", marginLeft: "0.8em" },
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "inherit" },
  ".cm-completionMatchedText": { textDecoration: "none", fontWeight: "bold" },
  ".cm-tooltip.cm-completionInfo": {
    padding: "6px 8px",
    maxWidth: "var(--bel-info-max-width, 24em)",
    whiteSpace: "pre-line",
  },
});

/**
 * Make an expression input inside `parent`.
 *
 * @param {HTMLElement} parent where the editor is appended
 * @param {object} [options]
 * @param {string} [options.value] the initial text
 * @param {string} [options.placeholder] shown while the input is empty
 * @param {boolean} [options.multiline] allow line breaks (default: one line)
 * @param {(value: string) => void} [options.onChange] after each edit by the user or
 *   insert(); not after setValue()
 * @param {(context: import("@codemirror/autocomplete").CompletionContext) =>
 *   import("@codemirror/autocomplete").CompletionResult | null |
 *   Promise<import("@codemirror/autocomplete").CompletionResult | null>} [options.complete]
 *   the completion source: {from, options: [{label, detail, info, apply, type}]} or null
 * @param {string} [options.ariaLabel] the accessible name of the text box
 * @param {string} [options.id] the id of the text box (a `<label for>` then names and
 *   focuses it)
 */
export function expressionInput(parent, options = {}) {
  const multiline = Boolean(options.multiline);
  const clean = (text) =>
    multiline ? String(text ?? "") : String(text ?? "").replace(/\r\n?|\n/g, " ");
  // A <label for=id> can neither name nor focus a contenteditable element by itself.
  const labels = options.id
    ? Array.from(parent.ownerDocument.querySelectorAll("label[for]")).filter(
        (label) => label.htmlFor === options.id,
      )
    : [];
  const ariaLabel = options.ariaLabel || (labels[0] && labels[0].textContent.trim());
  const contentAttributes = { "aria-multiline": String(multiline) };
  if (ariaLabel) contentAttributes["aria-label"] = ariaLabel;
  if (options.id) contentAttributes.id = options.id;

  const extensions = [
    theme,
    highlightDynamicParts,
    history(),
    EditorView.contentAttributes.of(contentAttributes),
    EditorView.editorAttributes.of({ class: multiline ? "bel-input bel-multiline" : "bel-input" }),
    EditorView.updateListener.of((update) => {
      if (!options.onChange || !update.docChanged) return;
      if (update.transactions.every((tr) => tr.annotation(programmatic))) return;
      options.onChange(update.state.doc.toString());
    }),
  ];
  if (multiline) extensions.push(EditorView.lineWrapping);
  else extensions.push(singleLine, swallowEnter);
  // The completion keymap comes with autocompletion() at the highest precedence, above
  // swallowEnter; standardKeymap has no Tab binding, so Tab moves the focus on.
  extensions.push(keymap.of([...standardKeymap, ...historyKeymap]));
  if (options.placeholder) extensions.push(placeholderText(options.placeholder));
  if (options.complete) {
    extensions.push(
      autocompletion({
        override: [options.complete],
        // No code-editor glyphs: an option's `type` becomes a class the page can style.
        icons: false,
        optionClass: (option) => (option.type ? `bel-option-${option.type}` : ""),
        tooltipClass: () => "bel-completions",
      }),
    );
  }

  const view = new EditorView({
    parent,
    state: EditorState.create({ doc: clean(options.value), extensions }),
  });
  const focusFromLabel = (event) => {
    event.preventDefault();
    view.focus();
  };
  for (const label of labels) label.addEventListener("click", focusFromLabel);

  return {
    view,
    /** The current text. */
    getValue: () => view.state.doc.toString(),
    /** Replace the whole text; the cursor goes to its end; onChange is not called. */
    setValue(value) {
      const text = clean(value);
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: text.length },
        annotations: programmatic.of(true),
      });
    },
    /** Put `text` at the cursor, replacing the selection, then focus the input. */
    insert(text) {
      view.dispatch(view.state.replaceSelection(clean(text)), {
        scrollIntoView: true,
        userEvent: "input",
      });
      view.focus();
    },
    /** Focus the input and open the completion list (e.g. for an "insert dynamic data"
     * button). */
    openCompletion() {
      view.focus();
      startCompletion(view);
    },
    closeCompletion: () => closeCompletion(view),
    focus: () => view.focus(),
    /** Remove the editor and its label listeners. */
    destroy() {
      for (const label of labels) label.removeEventListener("click", focusFromLabel);
      view.destroy();
    },
  };
}
