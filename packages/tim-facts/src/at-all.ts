/**
 * The entry TIM puts in a group message's `atUserList` for "@all" (everyone in the group).
 * The misspelling ("Messsage") is TIM's own: tim-js-sdk 2.27.6 sends and matches this string.
 */
export const AT_ALL_MARKER = '__kImSDK_MesssageAtALL__';
