/**
 * Arguments in OpenSSH client configuration (ssh_config files and `ssh -o K=V`): OpenSSH
 * splits a value at whitespace unless it is in double quotes, where `\"` and `\\` are the
 * escapes. File options that take tokens (IdentityFile, UserKnownHostsFile) also expand `%x`,
 * so a literal `%` is written `%%` there.
 */

/** `value` as one OpenSSH config argument (quoted only when it has to be). */
export function sshConfigQuote(value: string): string {
  if (value !== '' && !/[\s"'\\#=]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A file path for an option that expands `%` tokens (IdentityFile, UserKnownHostsFile). */
export function sshConfigPath(value: string): string {
  return sshConfigQuote(value.replace(/%/g, '%%'));
}
