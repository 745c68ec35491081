// The shortcuts Raycast users expect, the same in every command (the first action is Enter, the second ⌘⏎).
import type { Keyboard } from "@raycast/api";

export const COPY_SHORTCUT: Keyboard.Shortcut = { modifiers: ["cmd"], key: "c" };
/** Copy As… (a submenu of formats). */
export const COPY_AS_SHORTCUT: Keyboard.Shortcut = { modifiers: ["cmd", "shift"], key: "c" };
/** Delete, always after a confirmation alert. */
export const DELETE_SHORTCUT: Keyboard.Shortcut = { modifiers: ["cmd"], key: "backspace" };
/** Delete every row shown, after a confirmation alert that counts them. */
export const DELETE_ALL_SHORTCUT: Keyboard.Shortcut = { modifiers: ["cmd", "shift"], key: "backspace" };
export const SAVE_SHORTCUT: Keyboard.Shortcut = { modifiers: ["cmd"], key: "s" };
