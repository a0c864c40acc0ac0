/**
 * The bundle's entry: what `BubbleEditorLibs` (the global defined by
 * workflows/static/workflows/vendor/editor-libs.js) holds.
 *
 * - expressionInput(parent, options): a CodeMirror 6 expression input (expression-input.js).
 * - Sortable: SortableJS with its default plugins (AutoScroll, OnSpill), for drag-reordering
 *   step cards: `BubbleEditorLibs.Sortable.create(list, {handle: ".handle", onEnd})`.
 * - startCompletion, closeCompletion: CodeMirror's commands, for code holding a `view`.
 *
 * The styles (editor-libs.css) come from the import below; esbuild writes them beside the
 * script. See assets/README.md.
 */
import "./editor-libs.css";

export { closeCompletion, startCompletion } from "@codemirror/autocomplete";
export { default as Sortable } from "sortablejs";
export { expressionInput } from "./expression-input.js";
