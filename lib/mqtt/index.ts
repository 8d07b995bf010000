/**
 * The MQTT bridge (MQTT.js 5) and Home Assistant device discovery: topics, discovery payloads and command
 * parsing are pure; the bridge does the I/O.
 */
export { MqttCommandError } from "./errors.ts";
export { deviceConfigTopic, haId, haStatusTopic, hostTopics, inventoryTopic, lineOfCommandTopic, topicLevel, type HostTopics } from "./topics.ts";
export { KNOWN_SENSORS, buildDeviceConfig, encodeLineState, type DeviceConfig, type DeviceDescription, type HaPlatform } from "./ha-discovery.ts";
export { parseCommand } from "./commands.ts";
export { memoryInFile, memoryInProcess, type DiscoveryMemory } from "./memory.ts";
export { MqttBridge, type MqttBridgeOptions, type MqttBridgeStatus } from "./bridge.ts";
export { prepareMqttService, type MqttServiceOptions, type PreparedMqttService } from "./service.ts";
