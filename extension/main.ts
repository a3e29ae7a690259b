// VS Code extension entry. Skeleton; see issues 2 and 8.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
