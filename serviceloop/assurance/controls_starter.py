"""The starter list of information security controls shipped with ServiceLoop.

Written for ServiceLoop in our own words as a practical starting point for a small provider;
it is not the text of ISO/IEC 27001 or of any other standard, and it does not claim to cover
one. Edit, extend or mark controls not applicable (with a justification) to fit.
"""

STARTER_CONTROLS = (
    (
        "SL-01",
        "信息安全职责 Security roles and responsibilities",
        "Name who owns information security, who approves exceptions and who handles "
        "incidents; keep the list current when people change roles.\n"
        "明确信息安全的负责人、例外审批人和事件处理人，人员变动时及时更新。",
    ),
    (
        "SL-02",
        "账号开通与注销 Joiners, movers and leavers",
        "Grant access on a documented request, adjust it when someone changes role, and "
        "remove it on the day they leave; check the result every quarter.\n"
        "依据申请开通权限，岗位变动时调整，离职当天注销，并每季度复核。",
    ),
    (
        "SL-03",
        "最小权限 Least privilege and admin accounts",
        "Give each person only the access their work needs; keep administrator rights on "
        "separate named accounts that are not used for e-mail or browsing.\n"
        "仅授予工作所需权限；管理员权限使用独立的实名账号，不用于收发邮件和上网。",
    ),
    (
        "SL-04",
        "多因素认证 Multi-factor sign-in",
        "Require a second factor for remote access, administrator accounts and every "
        "system reachable from the Internet.\n"
        "远程访问、管理员账号及互联网可访问的系统必须启用多因素认证。",
    ),
    (
        "SL-05",
        "补丁与漏洞 Patching and vulnerabilities",
        "Scan systems for known weaknesses at least monthly; install critical security "
        "updates within 14 days and record why when one must wait.\n"
        "至少每月扫描已知漏洞；关键安全补丁 14 天内安装，延后须记录原因。",
    ),
    (
        "SL-06",
        "恶意软件防护 Protection against malware",
        "Run up-to-date malware protection on servers and end-user devices and alert the "
        "service desk when it finds something.\n"
        "服务器和终端运行最新的防恶意软件，发现威胁时告警至服务台。",
    ),
    (
        "SL-07",
        "备份与恢复 Backups that restore",
        "Back up the data each service needs to its recovery point objective, keep one copy "
        "offline or immutable, and prove a restore at least twice a year.\n"
        "按恢复点目标备份业务数据，保留一份离线或不可篡改的副本，每年至少两次验证恢复。",
    ),
    (
        "SL-08",
        "日志与监控 Logging and monitoring",
        "Keep security-relevant logs (sign-ins, privilege changes, firewall) for at least "
        "180 days where they cannot be altered, and review alerts daily.\n"
        "安全相关日志（登录、权限变更、防火墙）不可篡改地保存至少 180 天，每日查看告警。",
    ),
    (
        "SL-09",
        "网络隔离 Network segmentation",
        "Separate production, office and guest networks; allow only the traffic each "
        "service needs and review firewall rules twice a year.\n"
        "生产、办公和访客网络相互隔离，仅放行必要流量，每半年复核防火墙规则。",
    ),
    (
        "SL-10",
        "数据加密 Encryption of data",
        "Encrypt data in transit over public networks and on laptops and removable media; "
        "keep keys apart from the data they protect.\n"
        "经公共网络传输的数据及笔记本、移动介质上的数据须加密，密钥与数据分开保管。",
    ),
    (
        "SL-11",
        "供应商安全 Supplier security",
        "Agree security duties in supplier contracts, know which suppliers hold customer "
        "data, and review the critical ones every year.\n"
        "在供应商合同中约定安全责任，掌握哪些供应商持有客户数据，每年评审关键供应商。",
    ),
    (
        "SL-12",
        "安全意识 Awareness and phishing practice",
        "Brief every new starter on security and run at least one awareness session and "
        "one phishing exercise a year; follow up on those who struggle.\n"
        "新员工入职安全培训；每年至少一次安全意识培训和一次钓鱼演练，并跟进薄弱人员。",
    ),
    (
        "SL-13",
        "安全事件处置 Security incident handling",
        "Record security incidents as confidential, contain them, keep the evidence, and "
        "notify the regulator and affected people within the required time when personal "
        "data is involved.\n"
        "安全事件按保密记录，及时遏制并保全证据；涉及个人信息时在规定时限内通报监管机构和当事人。",
    ),
    (
        "SL-14",
        "物理安全 Physical security of equipment",
        "Keep servers and network equipment in locked rooms with a record of who entered; "
        "wipe or destroy storage before equipment leaves the provider.\n"
        "服务器和网络设备放在上锁机房并登记出入；设备离开前擦除或销毁存储介质。",
    ),
)
